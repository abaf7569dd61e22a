import fp from 'fastify-plugin';
import { deleteExpiredUploads } from '../files/repository.ts';
import { ADDRESS_SWEEP_INTERVAL_MS, eraseExpiredAddresses } from '../audit/addresses.ts';

/**
 * Periodic housekeeping: uploads never completed are deleted once their time runs out, and
 * audit events' client addresses once AUDIT_IP_RETENTION_DAYS have passed (also at start-up,
 * so a server that was down does not keep them longer).
 */
export default fp(
  async (app) => {
    const run = async () => {
      try {
        const n = await deleteExpiredUploads(app.db);
        if (n > 0) app.log.info({ uploads: n }, 'expired uploads deleted');
      } catch (err) {
        app.log.warn({ err }, 'expired-upload cleanup failed; will retry');
      }
    };
    const timer = setInterval(run, app.config.UPLOAD_CLEANUP_INTERVAL_SECONDS * 1000);
    timer.unref();
    const eraseAddresses = async () => {
      try {
        const n = await eraseExpiredAddresses(app.db, app.config.AUDIT_IP_RETENTION_DAYS);
        if (n > 0) app.log.info({ addresses: n }, 'audit addresses past their retention time erased');
      } catch (err) {
        app.log.warn({ err }, 'erasing old audit addresses failed; will retry');
      }
    };
    const addressTimer = setInterval(eraseAddresses, ADDRESS_SWEEP_INTERVAL_MS);
    addressTimer.unref();
    app.addHook('onReady', eraseAddresses);
    app.addHook('onClose', async () => {
      clearInterval(timer);
      clearInterval(addressTimer);
    });
  },
  { name: 'maintenance', dependencies: ['database'] },
);
