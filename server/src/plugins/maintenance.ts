import fp from 'fastify-plugin';
import { deleteExpiredUploads } from '../files/repository.ts';

/** Periodic housekeeping: uploads never completed are deleted once their time runs out. */
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
    app.addHook('onClose', async () => clearInterval(timer));
  },
  { name: 'maintenance', dependencies: ['database'] },
);
