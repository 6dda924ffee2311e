/**
 * On-demand Linux prices in US$ per hour, us-east-1, as AWS lists them on its EC2 pricing page.
 * They are what the planner's cost arithmetic and the right-sizer compare, not a bill: other regions
 * differ by roughly 0.85–1.3×, so pass `hourlyPrices` for yours. Types missing here are reported
 * with price NaN ("unknown"), never 0, so nothing mistakes them for free.
 */
export const usEast1OnDemandPrices: Readonly<Record<string, number>> = {
  't3.micro': 0.0104,
  't3.small': 0.0208,
  't3.medium': 0.0416,
  't3.large': 0.0832,
  't3.xlarge': 0.1664,
  'm5.large': 0.096,
  'm5.xlarge': 0.192,
  'm5.2xlarge': 0.384,
  'm6i.large': 0.096,
  'm6i.xlarge': 0.192,
  'm6g.large': 0.077,
  'm6g.xlarge': 0.154,
  'm7g.large': 0.0816,
  'm7g.xlarge': 0.1632,
  'c5.large': 0.085,
  'c5.xlarge': 0.17,
  'c6i.large': 0.085,
  'c6i.xlarge': 0.17,
  'c6g.large': 0.068,
  'c6g.xlarge': 0.136,
  'c7g.large': 0.0725,
  'c7g.xlarge': 0.145,
  'r5.large': 0.126,
  'r6i.large': 0.126,
  'r6g.large': 0.1008,
};
