import type { temporal } from '@temporalio/proto';

type Event = temporal.api.history.v1.IHistoryEvent;

/** What a local activity's marker says: its type and the attempt that ended it. */
export interface LocalActivityMarker {
  activity: string;
  attempt: number;
}

/**
 * The local activities a history records, in order. Their retries happen inside the worker, so
 * the marker each leaves is all the history says of them.
 */
export function localActivityMarkers(events: readonly Event[]): LocalActivityMarker[] {
  return events.flatMap((e) => {
    const data = e.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data;
    if (e.markerRecordedEventAttributes?.markerName !== 'core_local_activity' || !data) return [];
    const marker = JSON.parse(Buffer.from(data).toString()) as { attempt: number; activity_type: string };
    return [{ activity: marker.activity_type, attempt: marker.attempt }];
  });
}
