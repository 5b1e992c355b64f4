import type { EventBus, MessagePublisher } from '../../functions/collect/ports.ts';
import type { OutgoingMessage } from '../../functions/events/messages.ts';

export type RecordingPublisher = MessagePublisher & { messages: OutgoingMessage[]; failWith?: Error };

function recordingPublisher(): RecordingPublisher {
  const publisher: RecordingPublisher = {
    messages: [],
    async publish(message) {
      if (publisher.failWith) throw publisher.failWith;
      publisher.messages.push(message);
      return String(publisher.messages.length);
    },
  };
  return publisher;
}

/** An event bus that keeps what was published, for tests of the collect logic (the emulator tests cover Pub/Sub). */
export function createRecordingBus(): EventBus & { events: RecordingPublisher; rejected: RecordingPublisher } {
  return { events: recordingPublisher(), rejected: recordingPublisher() };
}

export function decode<T>(message: OutgoingMessage | undefined): T {
  if (!message) throw new Error('no message was published');
  return JSON.parse(message.data.toString()) as T;
}
