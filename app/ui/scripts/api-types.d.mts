export const SCHEMA: string;
export const OUTPUT: string;
export function generate(): Promise<string>;
export function checkedIn(): string;
