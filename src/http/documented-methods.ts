/**
 * The methods the OpenAPI description gives each path, so that a request to a path that exists with another method
 * gets 405 and an `Allow` header (RFC 9110 §15.5.6) rather than a 404 saying there is no such route: a client that
 * sent GET to /v1/ask learns to POST. Paths the description does not name stay 404.
 */
export function documentedMethods(paths: Record<string, Record<string, unknown>>): (path: string) => string[] | undefined {
  const templates = Object.entries(paths).map(([template, operations]) => ({
    // `{docId}` matches one path segment, as Express's `:docId` does.
    pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}/]+\}/g, '[^/]+')}/?$`),
    methods: Object.keys(operations)
      .filter((method) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
      .map((method) => method.toUpperCase()),
  }));
  return (path) => {
    const methods = new Set(templates.filter((template) => template.pattern.test(path)).flatMap((template) => template.methods));
    if (!methods.size) return undefined;
    // A GET route answers HEAD too (Express does).
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods];
  };
}
