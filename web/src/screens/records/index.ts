// The screens shown first after the login, one chunk loaded by web/src/lazy-screens.ts.
export { RecordList } from './RecordList.tsx';
export { RecordView } from './RecordView.tsx';
export { RecordEditor } from './RecordEditor.tsx';
export { Versions } from './Versions.tsx';
