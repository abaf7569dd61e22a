// The one worker: the client library and every key live here (see web/src/vault-client.ts).
import { expose } from 'comlink';
import { installErrorTransfer } from './errors-transfer.ts';
import { VaultService } from './service.ts';

installErrorTransfer();
expose(new VaultService());
