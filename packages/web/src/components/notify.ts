import { notifications } from '@mantine/notifications';
import { errorMessage } from '../api/error-message';

/** Toasts for the result of an action. */
export const notify = {
  success(message: string, title?: string) {
    notifications.show({ color: 'teal', title, message, autoClose: 3500 });
  },
  error(error: unknown, title = 'That did not work') {
    notifications.show({ color: 'red', title, message: errorMessage(error), autoClose: 7000 });
  },
};
