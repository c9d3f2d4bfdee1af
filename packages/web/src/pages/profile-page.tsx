import { UpdateProfileRequest, type User } from '@coditect/contract';
import { Button, Card, Container, Divider, Group, Select, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useMemo, useState, type FormEvent } from 'react';
import { api } from '../api/api';
import { useAuth } from '../auth/auth-store';
import { notify } from '../components/notify';
import { PageHeader } from '../components/page-header';
import { emptyToNull, serverFieldErrors, validateWith, type FieldErrors } from '../forms/field-errors';
import { countryOptions } from '../profile/country-options';

const FIELDS = ['firstName', 'lastName', 'company', 'phone', 'addressLine1', 'addressLine2', 'city', 'state', 'postalCode', 'country'] as const;
type Field = (typeof FIELDS)[number];
type Values = Record<Field, string>;

export function valuesOf(user: User): Values {
  return Object.fromEntries(FIELDS.map((f) => [f, user[f] ?? ''])) as Values;
}

/** Only changed fields are sent; an emptied optional field is sent as null (cleared). */
export function toUpdateRequest(values: Values, saved: Values): Record<string, string | null> {
  const body: Record<string, string | null> = {};
  for (const f of FIELDS) {
    if (values[f] === saved[f]) continue;
    body[f] = f === 'firstName' || f === 'lastName' ? values[f] : emptyToNull(values[f]);
  }
  return body;
}

function Section({ title, description, children }: { title: string; description: string; children: React.ReactNode }) {
  return (
    <SimpleGrid cols={{ base: 1, md: 3 }} spacing="xl">
      <Stack gap={4}>
        <Title order={2} fz="md">{title}</Title>
        <Text size="sm" c="dimmed">{description}</Text>
      </Stack>
      <Stack gap="md" style={{ gridColumn: 'span 2' }}>{children}</Stack>
    </SimpleGrid>
  );
}

export function ProfilePage() {
  const user = useAuth((s) => s.user)!;
  const setUser = useAuth((s) => s.setUser);
  const saved = useMemo(() => valuesOf(user), [user]);
  const [values, setValues] = useState<Values>(saved);
  const [errors, setErrors] = useState<FieldErrors>({});
  const countries = useMemo(() => countryOptions(), []);
  const dirty = FIELDS.some((f) => values[f] !== saved[f]);

  const save = useMutation({
    mutationFn: (body: UpdateProfileRequest) => api.call('updateProfile', { body }),
    onSuccess: (updated) => {
      setUser(updated);
      setValues(valuesOf(updated));
      notify.success('Your profile was saved.', 'Profile updated');
    },
    onError: (err) => {
      const fieldErrors = serverFieldErrors(err);
      if (Object.keys(fieldErrors).length) setErrors(fieldErrors);
      else notify.error(err, 'Could not save your profile');
    },
  });

  const input = (name: Field) => ({
    value: values[name],
    error: errors[name],
    onChange: (e: React.ChangeEvent<HTMLInputElement>) => {
      const value = e.currentTarget.value;
      setValues((v) => ({ ...v, [name]: value }));
      if (errors[name]) setErrors(({ [name]: _, ...rest }) => rest);
    },
  });

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    const body = toUpdateRequest(values, saved);
    const fieldErrors = validateWith(UpdateProfileRequest, body);
    setErrors(fieldErrors);
    if (Object.keys(fieldErrors).length) return;
    save.mutate(UpdateProfileRequest.parse(body));
  }

  function cancel() {
    setValues(saved);
    setErrors({});
  }

  return (
    <Container size="lg" py="xl" className="page-enter">
      <PageHeader title="Profile" description="Your name, contact and billing details." />
      <Card p="xl">
        <form onSubmit={onSubmit} noValidate aria-label="Profile">
          <Stack gap="xl">
            <Section title="Personal" description="How you appear in Coditect.">
              <SimpleGrid cols={2} spacing="md">
                <TextInput label="First name" required autoComplete="given-name" {...input('firstName')} />
                <TextInput label="Last name" required autoComplete="family-name" {...input('lastName')} />
              </SimpleGrid>
              <TextInput label="Email" value={user.email} disabled description="Your sign-in email cannot be changed here." />
              <TextInput label="Phone" type="tel" autoComplete="tel" placeholder="+14155550123" description="International format, with country code." {...input('phone')} />
            </Section>
            <Divider />
            <Section title="Billing" description="Used on invoices and receipts.">
              <TextInput label="Company" autoComplete="organization" {...input('company')} />
              <TextInput label="Address line 1" autoComplete="address-line1" {...input('addressLine1')} />
              <TextInput label="Address line 2" autoComplete="address-line2" {...input('addressLine2')} />
              <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="md">
                <TextInput label="City" autoComplete="address-level2" {...input('city')} />
                <TextInput
                  label="State / region"
                  autoComplete="address-level1"
                  placeholder="CA"
                  maxLength={2}
                  {...input('state')}
                  onChange={(e) => {
                    const value = e.currentTarget.value.toUpperCase();
                    setValues((v) => ({ ...v, state: value }));
                    setErrors(({ state: _, ...rest }) => rest);
                  }}
                />
                <TextInput label="Postal code" autoComplete="postal-code" {...input('postalCode')} />
              </SimpleGrid>
              <Select
                label="Country"
                placeholder="Search countries"
                data={countries}
                searchable
                clearable
                nothingFoundMessage="No country matches"
                value={values.country || null}
                onChange={(code) => {
                  setValues((v) => ({ ...v, country: code ?? '' }));
                  setErrors(({ country: _, ...rest }) => rest);
                }}
                error={errors.country}
                autoComplete="country"
                comboboxProps={{ withinPortal: true }}
              />
            </Section>
            <Divider />
            <Group justify="flex-end">
              <Button variant="default" onClick={cancel} disabled={!dirty || save.isPending}>Cancel</Button>
              <Button type="submit" disabled={!dirty} loading={save.isPending}>Save changes</Button>
            </Group>
          </Stack>
        </form>
      </Card>
    </Container>
  );
}
