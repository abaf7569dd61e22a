// The one worker: the client library and every key live here (see web/src/vault-client.ts).
import { expose } from 'comlink';
import { sendFilePartsThrough } from '@testimony-vault/client';
import { installErrorTransfer } from './errors-transfer.ts';
import { partSenderFetch } from './part-fetch.ts';
import { VaultService } from './service.ts';

installErrorTransfer();
// File parts leave from a worker of their own where this one can start one (part-fetch.ts).
if (typeof Worker !== 'undefined') sendFilePartsThrough(partSenderFetch());
expose(new VaultService());
