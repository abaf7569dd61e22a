// Teams and cases have no names in the chain, only ids: shown by their first characters.
export const shortId = (id: string) => id.slice(0, 8);
