import type { Readable } from 'node:stream';
import { UnreadableHistory, type HistoryFiles } from '../../history/ports.ts';

/**
 * The part of an authorized HTTP client (`GoogleAuth` of google-auth-library, which every Google client here uses)
 * that the Cloud Storage JSON API needs: one request, its answer parsed as JSON or streamed.
 */
export interface AuthorizedClient {
  request<T = unknown>(options: {
    url: string;
    method?: 'GET' | 'POST' | 'DELETE';
    data?: string | Buffer;
    headers?: Record<string, string>;
    responseType?: 'json' | 'stream';
  }): Promise<{ data: T; status: number }>;
}

/** The Cloud Storage JSON API (https://cloud.google.com/storage/docs/json_api); tests point it elsewhere. */
export const STORAGE_API = 'https://storage.googleapis.com';

export type CloudStorage = {
  /** The object's generation, size and checksum; null when there is none. */
  stat(bucket: string, name: string): Promise<{ generation: string; size: string; crc32c: string } | null>;
  read(bucket: string, name: string): AsyncIterable<string>;
  write(bucket: string, name: string, text: string): Promise<void>;
  /** Deletes every object whose name starts with `prefix`. */
  deleteAll(bucket: string, prefix: string): Promise<number>;
};

/** Object names and bucket names as the JSON API takes them in a path. */
const objectPath = (bucket: string, name: string) => `/storage/v1/b/${encodeURIComponent(bucket)}/o/${encodeURIComponent(name)}`;

export function createCloudStorage(client: AuthorizedClient, api: string = STORAGE_API): CloudStorage {
  return {
    async stat(bucket, name) {
      try {
        const { data } = await client.request<{ generation: string; size: string; crc32c: string }>({ url: `${api}${objectPath(bucket, name)}?fields=generation,size,crc32c` });
        return data;
      } catch (error) {
        if (statusOf(error) === 404) return null;
        throw error;
      }
    },

    async *read(bucket, name) {
      const { data } = await client.request<Readable>({ url: `${api}${objectPath(bucket, name)}?alt=media`, responseType: 'stream' });
      const decoder = new TextDecoder();
      for await (const chunk of data as AsyncIterable<Uint8Array | string>) yield typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
      const rest = decoder.decode();
      if (rest) yield rest;
    },

    async write(bucket, name, text) {
      await client.request({
        url: `${api}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o?uploadType=media&name=${encodeURIComponent(name)}`,
        method: 'POST',
        data: Buffer.from(text, 'utf8'),
        headers: { 'Content-Type': 'application/x-ndjson' },
      });
    },

    async deleteAll(bucket, prefix) {
      let deleted = 0;
      for (let pageToken: string | undefined; ; ) {
        const query = `prefix=${encodeURIComponent(prefix)}&fields=items(name),nextPageToken${pageToken ? `&pageToken=${encodeURIComponent(pageToken)}` : ''}`;
        const { data } = await client.request<{ items?: { name: string }[]; nextPageToken?: string }>({ url: `${api}/storage/v1/b/${encodeURIComponent(bucket)}/o?${query}` });
        for (const item of data.items ?? []) {
          await client.request({ url: `${api}${objectPath(bucket, item.name)}`, method: 'DELETE' });
          deleted += 1;
        }
        pageToken = data.nextPageToken;
        if (!pageToken) return deleted;
      }
    },
  };
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown; response?: { status?: unknown } } | null)?.response?.status ?? (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

/** `gs://bucket/name` → its parts; null when it is not one. */
export function parseGsUri(uri: string): { bucket: string; name: string } | null {
  const match = /^gs:\/\/([a-z0-9][a-z0-9._-]*[a-z0-9])\/(.+)$/.exec(uri);
  return match ? { bucket: match[1] ?? '', name: match[2] ?? '' } : null;
}

/** History files in the deployment's import bucket, read as they stream; an object's fingerprint is its generation and checksum. */
export function createCloudStorageHistoryFiles(storage: CloudStorage, bucket: string): HistoryFiles {
  const located = (uri: string) => {
    const parsed = parseGsUri(uri);
    if (!parsed || parsed.bucket !== bucket) throw new UnreadableHistory(`an import reads gs://${bucket}/…, not ${uri.slice(0, 200)}`);
    return parsed;
  };
  return {
    async fingerprint(uri) {
      const { name } = located(uri);
      const object = await storage.stat(bucket, name);
      if (!object) throw new UnreadableHistory(`gs://${bucket}/${name.slice(0, 200)} does not exist`);
      return `generation=${object.generation} size=${object.size} crc32c=${object.crc32c}`;
    },
    read: (uri) => storage.read(bucket, located(uri).name),
    within: (folder, name) => `${folder.replace(/\/+$/, '')}/${name}`,
  };
}
