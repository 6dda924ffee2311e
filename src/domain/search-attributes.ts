import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes that make resource sets listable and filterable in the Temporal UI. */
export const ResourceSetId = defineSearchAttributeKey('ResourceSetId', SearchAttributeType.KEYWORD);
export const ResourceSetState = defineSearchAttributeKey('ResourceSetState', SearchAttributeType.KEYWORD);
export const DesiredInstances = defineSearchAttributeKey('DesiredInstances', SearchAttributeType.INT);
export const CurrentInstances = defineSearchAttributeKey('CurrentInstances', SearchAttributeType.INT);
export const ScalingMode = defineSearchAttributeKey('ScalingMode', SearchAttributeType.KEYWORD);

/** Every key above; the server must know them before a workflow may set them. */
export const searchAttributeKeys = [ResourceSetId, ResourceSetState, DesiredInstances, CurrentInstances, ScalingMode];
