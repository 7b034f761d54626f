/**
 * A protocol's schema for what the bot sends (schemas/protocols/*-bot.schema.json), compiled
 * once per process. Sessions call the getter when they are created: compiling takes tens of
 * ms, and done at the first bot message it would stall the shared pacer while every call in
 * flight waits for its next frame.
 *
 * The schema's base64 pattern (on the audio payload) is dropped before compiling: it is
 * checked while the audio is decoded (base64.ts), which has to happen anyway. Run as a
 * regular expression over every audio message as well, it cost more than the rest of the
 * validation together.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type Options, type ValidateFunction } from 'ajv/dist/2020.js';

export function botSchemaValidator(
  schemaFile: URL,
  /** Where the base64 pattern sits in the schema. */
  base64At: (schema: any) => { pattern?: unknown } | undefined,
  options: Options,
): () => ValidateFunction {
  let validator: ValidateFunction | undefined;
  return () => {
    if (!validator) {
      const schema = JSON.parse(readFileSync(schemaFile, 'utf8'));
      const base64 = base64At(schema);
      if (typeof base64?.pattern !== 'string') {
        throw new Error(`${schemaFile.pathname}: no base64 pattern where the decoder expects it; inbound checks base64 in its place`);
      }
      delete base64.pattern;
      validator = new Ajv2020(options).compile(schema);
    }
    return validator;
  };
}
