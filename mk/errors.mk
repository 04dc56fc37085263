# Kafka error names (assembly/protocol/generated/error_names.ts), generated from the kafka-clients
# jar the tests use, so the `error` label matches the broker's names exactly.
.PHONY: errorcodes errorcodes-check

ERROR_NAMES := assembly/protocol/generated/error_names.ts

EXTRA_TESTS += errorcodes-check

errorcodes:
	@bash tests/kafka/kafka-deps.sh >/dev/null
	java -cp "$$(bash tests/kafka/kafka-deps.sh --classpath)" tools/errors/ErrorNames.java > $(ERROR_NAMES)

# Regenerates into a temp file and fails when the committed file differs.
errorcodes-check:
	@bash tests/kafka/kafka-deps.sh >/dev/null
	@tmp=$$(mktemp); java -cp "$$(bash tests/kafka/kafka-deps.sh --classpath)" tools/errors/ErrorNames.java > $$tmp 2>/dev/null; \
	  if cmp -s $$tmp $(ERROR_NAMES); then echo "errorcodes-check: $(ERROR_NAMES) up to date"; rm -f $$tmp; \
	  else echo "errorcodes-check: $(ERROR_NAMES) differs from the generator (make errorcodes)"; diff $$tmp $(ERROR_NAMES) | head; rm -f $$tmp; exit 1; fi
