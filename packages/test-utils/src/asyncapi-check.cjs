// Parses AsyncAPI documents (a JSON array on stdin) with @asyncapi/parser and prints a JSON array
// of summaries (stdout).
// Run as its own Node process: see asyncapi-check.ts for why.
const { Parser, DiagnosticSeverity } = require('@asyncapi/parser');

function ids(collection) {
  return collection ? collection.all().map((item) => item.id()) : null;
}

/** The property names of a schema, looking through a single `allOf` wrapper. */
function propertyNames(schema) {
  if (!schema) return null;
  const own = schema.properties();
  if (own && Object.keys(own).length > 0) return Object.keys(own);
  const first = (schema.allOf() ?? [])[0];
  return first ? Object.keys(first.properties() ?? {}) : [];
}

async function summarise(parser, text) {
  const { document, diagnostics } = await parser.parse(text);
  const errors = diagnostics
    .filter((item) => item.severity === DiagnosticSeverity.Error)
    .map((item) => ({ code: item.code, message: item.message, path: item.path }));
  const summary = { errors, version: null, title: null, channels: {}, operations: {}, inputProperties: {} };
  if (document) {
    summary.version = document.version();
    summary.title = document.info().title();
    for (const channel of document.channels().all()) summary.channels[channel.id()] = channel.address();
    for (const operation of document.operations().all()) {
      const reply = operation.reply();
      summary.operations[operation.id()] = {
        action: operation.action(),
        messages: ids(operation.messages()),
        reply: reply ? ids(reply.messages()) : null,
      };
    }
    for (const message of document.messages().all()) {
      const input = message.payload()?.properties()?.input;
      if (input) summary.inputProperties[message.id()] = propertyNames(input);
    }
  }
  return summary;
}

async function main() {
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  const parser = new Parser();
  const summaries = [];
  for (const document of JSON.parse(text)) summaries.push(await summarise(parser, JSON.stringify(document)));
  process.stdout.write(JSON.stringify(summaries));
}

main().catch((error) => {
  process.stderr.write(String(error?.stack ?? error));
  process.exit(1);
});
