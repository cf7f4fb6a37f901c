/**
 * GET /v1/datasets lists the stored datasets (collect jobs' results); GET /v1/datasets/:id?format=npz|hdf5 downloads
 * one as a file. Files are streamed from disk, so a large dataset does not pass through memory.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { TwinGymError } from '../../src/core/errors.js';
import { datasetFile, listDatasets, readDatasetEntry, DATASET_FORMATS } from '../../src/jobs/datasets.js';
import type { ServerState } from '../protocol/op-context.js';
import { sendError } from './errors.js';

/** What the dataset routes need. */
export interface DatasetRoutesOptions {
  state: ServerState;
}

const DatasetParamsSchema = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });
const DatasetQuerySchema = Type.Object({
  format: Type.Optional(Type.Union(DATASET_FORMATS.map((f) => Type.Literal(f)), { description: 'npz (default) or hdf5' })),
}, { additionalProperties: false });

/** Registers the dataset routes. */
export const datasetRoutes: FastifyPluginAsync<DatasetRoutesOptions> = async (app, opts) => {
  const dir = () => opts.state.jobs.places.datasetsDir;
  app.get('/v1/datasets', async () => ({
    datasets: (await listDatasets(dir())).map((e) => ({ id: e.id, env_id: e.env_id, rows: e.rows, policy: e.policy, created: e.created, files: e.files, agents: e.agents })),
  }));
  app.get<{ Params: Static<typeof DatasetParamsSchema>; Querystring: Static<typeof DatasetQuerySchema> }>(
    '/v1/datasets/:id',
    { schema: { params: DatasetParamsSchema, querystring: DatasetQuerySchema } },
    async (request, reply) => {
      const { id } = request.params;
      const format = request.query.format ?? 'npz';
      const entry = await readDatasetEntry(dir(), id);
      if (!entry) {
        const known = (await listDatasets(dir())).map((d) => d.id);
        return sendError(reply, { code: 'unknown_dataset', message: `no dataset "${id}"; stored: ${known.join(', ') || 'none (run a collect job)'}`, details: { dataset: id, known } }, 404);
      }
      const path = datasetFile(dir(), id, format);
      const size = await stat(path).then((s) => s.size, () => -1);
      if (size < 0) throw new TwinGymError('internal', `dataset "${id}" is listed but its ${format} file is missing`, { dataset: id });
      const name = `${id}.${format === 'hdf5' ? 'h5' : 'npz'}`;
      return reply
        .header('Content-Type', 'application/octet-stream')
        .header('Content-Length', String(size))
        .header('Content-Disposition', `attachment; filename="${name}"`)
        .send(createReadStream(path));
    },
  );
};
