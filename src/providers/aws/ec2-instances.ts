import {
  paginateDescribeInstances,
  paginateDescribeInstanceTypes,
  type DescribeInstanceTypesRequest,
  type EC2Client,
  type Instance as Ec2Instance,
} from '@aws-sdk/client-ec2';
import type { InstanceType } from '../../domain/provider.js';
import { aws } from './errors.js';

/**
 * EC2's view (type, image, launch time, private address) of every instance Auto Scaling launched
 * for the group, by the `aws:autoscaling:groupName` tag it puts on them. A tag filter, unlike a list
 * of ids, does not fail on an instance too new for DescribeInstances to know yet, and still finds
 * instances terminated within the last hour.
 */
export async function describeGroupInstances(client: EC2Client, groupName: string): Promise<Map<string, Ec2Instance>> {
  return aws(async () => {
    const found = new Map<string, Ec2Instance>();
    const pages = paginateDescribeInstances(
      { client, pageSize: 1000 },
      { Filters: [{ Name: 'tag:aws:autoscaling:groupName', Values: [groupName] }] },
    );
    for await (const page of pages) {
      for (const instance of (page.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
        if (instance.InstanceId !== undefined) found.set(instance.InstanceId, instance);
      }
    }
    return found;
  });
}

/**
 * Speed is relative to a 2-vCPU instance (the ".large" sizes): a request-serving fleet's capacity
 * grows with vCPUs, and the learned per-type capacity model corrects what this first guess misses.
 */
const baselineVCpus = 2;

export async function describeInstanceTypes(
  client: EC2Client,
  names: readonly string[],
  hourlyPrices: Readonly<Record<string, number>>,
): Promise<InstanceType[]> {
  return aws(async () => {
    const types: InstanceType[] = [];
    // The SDK types these as a closed union of today's names; EC2 validates them server-side.
    const request = { InstanceTypes: [...names] as DescribeInstanceTypesRequest['InstanceTypes'] };
    for await (const page of paginateDescribeInstanceTypes({ client }, request)) {
      for (const info of page.InstanceTypes ?? []) {
        if (info.InstanceType === undefined) continue;
        types.push({
          name: info.InstanceType,
          speed: (info.VCpuInfo?.DefaultVCpus ?? Number.NaN) / baselineVCpus,
          hourlyPrice: hourlyPrices[info.InstanceType] ?? Number.NaN,
        });
      }
    }
    return types.sort((a, b) => a.name.localeCompare(b.name));
  });
}
