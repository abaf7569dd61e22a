// Screens are chosen from memory, not from the address bar: nothing about which testimony
// was opened lands in the browser's history, where a seized device would keep it.
export type Route =
  | { name: 'login' }
  | { name: 'register' }
  | { name: 'recover' }
  | { name: 'recovery-words'; words: string[] }
  | { name: 'records' }
  | { name: 'record'; id: string }
  | { name: 'edit'; id: string | null }
  | { name: 'versions'; id: string }
  | { name: 'account' }
  | { name: 'contacts'; handle?: string }
  | { name: 'share'; ids: string[] }
  | { name: 'inbox' }
  | { name: 'history'; id: string }
  | { name: 'activity' }
  | { name: 'verify' }
  | { name: 'teams' }
  | { name: 'team'; id: string }
  | { name: 'team-case'; team: string; caseId: string }
  | { name: 'team-record'; team: string; id: string };
