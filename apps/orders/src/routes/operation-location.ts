/** Where clients poll an operation: the Location of every 202 this API answers. */
export function operationLocation(id: string): string {
  return `/v1/operations/${id}`;
}
