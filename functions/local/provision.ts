import type { PubSub } from '@google-cloud/pubsub';

export type TopicPlan = {
  topic: string;
  subscriptions: { name: string; pushEndpoint?: string; deadLetterTopic?: string; maxDeliveryAttempts?: number }[];
};

/** Creates topics and subscriptions that do not exist yet; what exists is left as it is. */
export async function provisionPubSub(pubsub: PubSub, plan: TopicPlan[]): Promise<void> {
  for (const { topic } of plan) {
    const [exists] = await pubsub.topic(topic).exists();
    if (!exists) await pubsub.createTopic(topic);
  }
  for (const { topic, subscriptions } of plan) {
    for (const sub of subscriptions) {
      const [exists] = await pubsub.subscription(sub.name).exists();
      if (exists) continue;
      await pubsub.topic(topic).createSubscription(sub.name, {
        ackDeadlineSeconds: 60,
        // Redelivery backs off as it does in production, rather than hammering a failing function.
        retryPolicy: { minimumBackoff: { seconds: 1 }, maximumBackoff: { seconds: 60 } },
        ...(sub.pushEndpoint ? { pushConfig: { pushEndpoint: sub.pushEndpoint } } : {}),
        ...(sub.deadLetterTopic
          ? {
              deadLetterPolicy: {
                deadLetterTopic: pubsub.topic(sub.deadLetterTopic).name,
                maxDeliveryAttempts: sub.maxDeliveryAttempts ?? 5,
              },
            }
          : {}),
      });
    }
  }
}
