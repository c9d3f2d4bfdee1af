import { SessionName } from '@coditect/contract';
import { Button, Checkbox, Group, Modal, Stack, TextInput } from '@mantine/core';
import { useEffect, useState, type FormEvent } from 'react';
import { serverFieldErrors } from '../forms/field-errors';

interface Props {
  opened: boolean;
  title: string;
  submitLabel: string;
  initialName?: string;
  onClose(): void;
  /** Resolves when saved; rejects with the API error (shown on the field). */
  onSubmit(name: string): Promise<unknown>;
  /** Offers "Open it now" (create only). */
  openNow?: { checked: boolean; onChange(checked: boolean): void };
}

/** Create / rename dialog for a workspace session, validated with the contract's SessionName rule. */
export function SessionNameModal({ opened, title, submitLabel, initialName = '', onClose, onSubmit, openNow }: Props) {
  const [name, setName] = useState(initialName);
  const [error, setError] = useState<string | undefined>();
  const [saving, setSaving] = useState(false);
  useEffect(() => {
    if (opened) {
      setName(initialName);
      setError(undefined);
    }
  }, [opened, initialName]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const parsed = SessionName.safeParse(name);
    if (!parsed.success) {
      setError(parsed.error.issues[0]?.message);
      return;
    }
    setSaving(true);
    try {
      await onSubmit(parsed.data);
      onClose();
    } catch (err) {
      setError(serverFieldErrors(err).name ?? (err instanceof Error ? err.message : 'Could not save'));
    } finally {
      setSaving(false);
    }
  }

  return (
    <Modal opened={opened} onClose={onClose} title={title} centered radius="lg">
      <form onSubmit={submit} noValidate>
        <Stack>
          <TextInput
            label="Session name"
            description="Shown on the dashboard and on the session's tab."
            placeholder="e.g. checkout-service refactor"
            value={name}
            onChange={(e) => {
              setName(e.currentTarget.value);
              setError(undefined);
            }}
            error={error}
            data-autofocus
            maxLength={120}
          />
          {openNow && (
            <Checkbox label="Open it now" checked={openNow.checked} onChange={(e) => openNow.onChange(e.currentTarget.checked)} />
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>Cancel</Button>
            <Button type="submit" loading={saving}>{submitLabel}</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
