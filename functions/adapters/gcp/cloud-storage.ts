import { ApiError, type Storage } from '@google-cloud/storage';
import { UnreadableHistory, type HistoryFiles } from '../../history/ports.ts';

export type CloudStorage = {
  /** The object's generation, size and checksum; null when there is none. */
  stat(bucket: string, name: string): Promise<{ generation: string; size: string; crc32c: string } | null>;
  read(bucket: string, name: string): AsyncIterable<string>;
  write(bucket: string, name: string, text: string): Promise<void>;
  /** Deletes every object whose name starts with `prefix`, however many pages of them there are. */
  deleteAll(bucket: string, prefix: string): Promise<void>;
};

/**
 * Cloud Storage through its official client, which also pages listings, retries what is safe to retry, and checks
 * the CRC32C of every upload and download against the one the service computed.
 */
export function createCloudStorage(client: Storage): CloudStorage {
  const file = (bucket: string, name: string) => client.bucket(bucket).file(name);
  return {
    async stat(bucket, name) {
      try {
        const [metadata] = await file(bucket, name).getMetadata();
        return { generation: String(metadata.generation), size: String(metadata.size), crc32c: metadata.crc32c ?? '' };
      } catch (error) {
        if (error instanceof ApiError && error.code === 404) return null;
        throw error;
      }
    },

    async *read(bucket, name) {
      // A multi-byte character may be split between chunks: the stream's decoder keeps the part until the rest comes.
      for await (const chunk of file(bucket, name).createReadStream().setEncoding('utf8')) yield chunk as string;
    },

    async write(bucket, name, text) {
      // One request, not a resumable session: a staged slice is small, and written again whole should it fail.
      await file(bucket, name).save(text, { resumable: false, contentType: 'application/x-ndjson' });
    },

    async deleteAll(bucket, prefix) {
      await client.bucket(bucket).deleteFiles({ prefix });
    },
  };
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
