import { COUNTRY_CODES } from '@coditect/contract';

export interface CountryOption {
  value: string;
  label: string;
}

/**
 * The contract's ISO 3166-1 codes with names in the user's language, sorted
 * by name. Falls back to the code when the browser has no name for it.
 */
export function countryOptions(locale: string | undefined = undefined): CountryOption[] {
  let names: Intl.DisplayNames | undefined;
  try {
    names = new Intl.DisplayNames(locale ? [locale] : undefined, { type: 'region' });
  } catch {
    names = undefined;
  }
  const collator = new Intl.Collator(locale);
  return COUNTRY_CODES.map((code) => ({ value: code, label: `${names?.of(code) ?? code}` }))
    .sort((a, b) => collator.compare(a.label, b.label));
}
