// End-to-end Kafka client for the Envoy filter tests, using the real kafka-clients 4.1.1.
// Produces a deterministic, seeded set of messages (same algorithm as tests/clients/lib/gen.mjs),
// consumes them back with a consumer group, verifies every key, value, header, partition and the
// per-partition order, and prints ONE JSON summary line on stdout. Exit 0 only if all verified.
//
// Run without a build tool (single-file source launch), see run.sh:
//   java -cp <kafka jars> tests/clients/java/KafkaRoundTrip.java --bootstrap 127.0.0.1:19092 \
//        --scenario standard --prefix mytest [--seed 42] [--count N] [--topics N] [--partitions N]
//        [--large-bytes N] [--compression lz4,zstd,gzip] [--client-id e2e-java] [--acks0 20]
//        [--group-protocol classic|consumer] [--timeout-ms 120000] [--dry-run]
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.*;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public class KafkaRoundTrip {
  static final byte[] ALPHA =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".getBytes(StandardCharsets.US_ASCII);
  /** generator topic index used for the acks=0 topic (never a regular topic index) */
  static final int ACKS0_TOPIC_INDEX = 1000;

  // ---------------------------------------------------------------- deterministic payloads
  static int mix(int x) {
    x ^= x >>> 16;
    x *= 0x7feb352d;
    x ^= x >>> 15;
    x *= 0x846ca68b;
    x ^= x >>> 16;
    return x;
  }

  static final class Rng {
    int x;
    Rng(int seed, int t, int i) {
      x = mix(mix(mix(seed) ^ t) ^ i);
      if (x == 0) x = 1;
    }
    int next() {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return x;
    }
    /** next() as an unsigned value modulo m */
    int mod(int m) {
      return (int) Long.remainderUnsigned(Integer.toUnsignedLong(next()), m);
    }
  }

  record Msg(int i, byte[] key, byte[] value, int partition) {}

  static final class Scenario {
    String name = "standard", bootstrap = "127.0.0.1:19092", clientId = "e2e-java", prefix, groupProtocol = "classic";
    int seed = 42, count, topics, partitions, largeBytes, acks0 = 20;
    long timeoutMs = 120_000;
    List<String> compression = List.of("lz4", "zstd", "gzip");
    boolean dryRun;

    int largeIndex() { return count / 2; }
    String topic(int t) { return t == ACKS0_TOPIC_INDEX ? prefix + ".acks0" : prefix + ".t" + t; }
    int countFor(int t) { return t == ACKS0_TOPIC_INDEX ? acks0 : count; }

    Msg message(int t, int i) {
      Rng r = new Rng(seed, t, i);
      int r1 = r.mod(10);
      int r2 = r.next();
      long u2 = Integer.toUnsignedLong(r2);
      int size;
      if (t == 0 && largeBytes > 0 && i == largeIndex()) size = largeBytes;
      else if (r1 < 4) size = 1 + (int) (u2 % 16);
      else if (r1 < 8) size = 17 + (int) (u2 % 1008);
      else size = 1025 + (int) (u2 % 64512);
      int klen = r.mod(16);
      byte[] prefixBytes = ("k" + i + ".").getBytes(StandardCharsets.US_ASCII);
      byte[] key = Arrays.copyOf(prefixBytes, prefixBytes.length + klen);
      for (int j = 0; j < klen; j++) key[prefixBytes.length + j] = ALPHA[r.next() & 63];
      byte[] value = new byte[size];
      for (int j = 0; j < size; j++) value[j] = ALPHA[r.next() & 63];
      return new Msg(i, key, value, i % partitions);
    }
  }

  static Scenario parse(String[] args) {
    Map<String, String> a = new HashMap<>();
    for (int k = 0; k < args.length; k++) {
      String arg = args[k];
      if (!arg.startsWith("--")) throw new IllegalArgumentException("unexpected argument " + arg);
      int eq = arg.indexOf('=');
      if (eq > 0) a.put(arg.substring(2, eq), arg.substring(eq + 1));
      else if (k + 1 < args.length && !args[k + 1].startsWith("--")) a.put(arg.substring(2), args[++k]);
      else a.put(arg.substring(2), "true");
    }
    Scenario s = new Scenario();
    s.name = a.getOrDefault("scenario", "standard");
    switch (s.name) {
      case "smoke" -> { s.topics = 1; s.count = 20; s.partitions = 3; s.largeBytes = 0; }
      case "standard" -> { s.topics = 3; s.count = 120; s.partitions = 3; s.largeBytes = 2 * 1024 * 1024 + 17; }
      case "stress" -> { s.topics = 3; s.count = 2000; s.partitions = 3; s.largeBytes = 3 * 1024 * 1024 + 5; }
      default -> throw new IllegalArgumentException("unknown scenario " + s.name + " (smoke, standard, stress)");
    }
    s.bootstrap = a.getOrDefault("bootstrap", s.bootstrap);
    s.clientId = a.getOrDefault("client-id", s.clientId);
    s.seed = (int) Long.parseLong(a.getOrDefault("seed", "42"));
    s.count = Integer.parseInt(a.getOrDefault("count", "" + s.count));
    s.topics = Integer.parseInt(a.getOrDefault("topics", "" + s.topics));
    s.partitions = Integer.parseInt(a.getOrDefault("partitions", "" + s.partitions));
    s.largeBytes = Integer.parseInt(a.getOrDefault("large-bytes", "" + s.largeBytes));
    s.acks0 = Integer.parseInt(a.getOrDefault("acks0", "" + s.acks0));
    s.timeoutMs = Long.parseLong(a.getOrDefault("timeout-ms", "" + s.timeoutMs));
    s.groupProtocol = a.getOrDefault("group-protocol", s.groupProtocol);
    if (a.containsKey("compression")) s.compression = List.of(a.get("compression").split(","));
    s.prefix = a.getOrDefault("prefix", "e2e-" + s.clientId + "-" + ProcessHandle.current().pid());
    s.dryRun = "true".equals(a.get("dry-run"));
    return s;
  }

  // ---------------------------------------------------------------- JSON output
  static String q(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> { if (c < 0x20) b.append(String.format("\\u%04x", (int) c)); else b.append(c); }
      }
    }
    return b.append('"').toString();
  }

  static final class TopicStats {
    String compression;
    int acks;
    int produced, consumed;
    long valueBytes, keyBytes, consumedValueBytes;
    int headersChecked;
    int digest = 0x811c9dc5; // FNV-1a 32 over key+value of every generated message (generator parity check)
    TreeSet<Integer> partitions = new TreeSet<>();
  }

  static int fnv1a(int h, byte[] b) {
    for (byte x : b) h = (h ^ (x & 0xff)) * 0x01000193;
    return h;
  }

  // ---------------------------------------------------------------- main
  public static void main(String[] argv) {
    long t0 = System.nanoTime();
    List<String> errors = new ArrayList<>();
    Scenario s;
    try {
      s = parse(argv);
    } catch (RuntimeException e) {
      System.out.println("{\"client\":\"java\",\"ok\":false,\"errors\":[" + q("bad arguments: " + e.getMessage()) + "]}");
      System.exit(2);
      return;
    }
    List<Integer> topicIdx = new ArrayList<>();
    for (int t = 0; t < s.topics; t++) topicIdx.add(t);
    if (s.acks0 > 0) topicIdx.add(ACKS0_TOPIC_INDEX);
    Map<Integer, TopicStats> stats = new LinkedHashMap<>();
    for (int t : topicIdx) {
      TopicStats ts = new TopicStats();
      ts.compression = t == ACKS0_TOPIC_INDEX ? "none" : s.compression.get(t % s.compression.size());
      ts.acks = t == ACKS0_TOPIC_INDEX ? 0 : -1;
      for (int i = 0; i < s.countFor(t); i++) {
        Msg m = s.message(t, i);
        ts.valueBytes += m.value.length;
        ts.keyBytes += m.key.length;
        ts.partitions.add(m.partition);
        ts.digest = fnv1a(fnv1a(ts.digest, m.key), m.value);
      }
      stats.put(t, ts);
    }
    long produceMs = 0, consumeMs = 0;
    if (!s.dryRun) {
      try {
        long a = System.nanoTime();
        Map<TopicPartition, Long> start = createTopics(s, topicIdx);
        produce(s, topicIdx, stats, errors);
        long b = System.nanoTime();
        produceMs = (b - a) / 1_000_000;
        consume(s, topicIdx, stats, start, errors);
        consumeMs = (System.nanoTime() - b) / 1_000_000;
      } catch (Exception e) {
        errors.add("fatal: " + e);
      }
      for (var e : stats.entrySet()) {
        TopicStats ts = e.getValue();
        if (ts.consumed != s.countFor(e.getKey()))
          errors.add(s.topic(e.getKey()) + ": consumed " + ts.consumed + " of " + s.countFor(e.getKey()) + " messages");
      }
    }
    boolean ok = errors.isEmpty();
    StringBuilder out = new StringBuilder();
    out.append("{\"client\":\"java\",\"ok\":").append(ok)
        .append(",\"client_id\":").append(q(s.clientId))
        .append(",\"bootstrap\":").append(q(s.bootstrap))
        .append(",\"scenario\":").append(q(s.name))
        .append(",\"seed\":").append(Integer.toUnsignedString(s.seed))
        .append(",\"group_protocol\":").append(q(s.groupProtocol))
        .append(",\"dry_run\":").append(s.dryRun)
        .append(",\"topics\":{");
    boolean first = true;
    for (var e : stats.entrySet()) {
      TopicStats ts = e.getValue();
      if (!first) out.append(',');
      first = false;
      out.append(q(s.topic(e.getKey()))).append(":{\"messages\":").append(s.countFor(e.getKey()))
          .append(",\"value_bytes\":").append(ts.valueBytes)
          .append(",\"key_bytes\":").append(ts.keyBytes)
          .append(",\"partitions\":").append(ts.partitions.size())
          .append(",\"digest\":").append(q(String.format("%08x", ts.digest)))
          .append(",\"compression\":").append(q(ts.compression))
          .append(",\"acks\":").append(ts.acks == -1 ? "\"all\"" : "0")
          .append(",\"produced\":").append(ts.produced)
          .append(",\"consumed\":").append(ts.consumed)
          .append(",\"consumed_value_bytes\":").append(ts.consumedValueBytes)
          .append(",\"headers_checked\":").append(ts.headersChecked)
          .append('}');
    }
    out.append("},\"produce_ms\":").append(produceMs)
        .append(",\"consume_ms\":").append(consumeMs)
        .append(",\"elapsed_ms\":").append((System.nanoTime() - t0) / 1_000_000)
        .append(",\"errors\":[");
    for (int k = 0; k < Math.min(errors.size(), 50); k++) out.append(k > 0 ? "," : "").append(q(errors.get(k)));
    if (errors.size() > 50) out.append(",").append(q("... " + (errors.size() - 50) + " more"));
    out.append("]}");
    System.out.println(out);
    System.out.flush();
    System.exit(ok ? 0 : 1);
  }

  static Properties common(Scenario s) {
    Properties p = new Properties();
    p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, s.bootstrap);
    p.put(CommonClientConfigs.CLIENT_ID_CONFIG, s.clientId);
    return p;
  }

  /** Create the topics (several partitions, large max.message.bytes); return the log end offsets before producing. */
  static Map<TopicPartition, Long> createTopics(Scenario s, List<Integer> topicIdx) throws Exception {
    Properties p = common(s);
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Long.toString(Math.min(60_000L, s.timeoutMs)));
    try (Admin admin = Admin.create(p)) {
      List<NewTopic> nts = new ArrayList<>();
      for (int t : topicIdx)
        nts.add(new NewTopic(s.topic(t), s.partitions, (short) 1)
            .configs(Map.of("max.message.bytes", "10485760")));
      CreateTopicsResult r = admin.createTopics(nts);
      for (var e : r.values().entrySet()) {
        try {
          e.getValue().get(60, TimeUnit.SECONDS);
        } catch (ExecutionException ex) {
          if (!(ex.getCause() instanceof TopicExistsException)) throw ex;
        }
      }
      Map<TopicPartition, OffsetSpec> req = new HashMap<>();
      for (int t : topicIdx)
        for (int part = 0; part < s.partitions; part++) req.put(new TopicPartition(s.topic(t), part), OffsetSpec.latest());
      // the new topics' leaders may need a moment to be known everywhere: retry
      long deadline = System.currentTimeMillis() + 30_000;
      while (true) {
        try {
          Map<TopicPartition, Long> start = new HashMap<>();
          for (var e : admin.listOffsets(req).all().get(30, TimeUnit.SECONDS).entrySet())
            start.put(e.getKey(), e.getValue().offset());
          return start;
        } catch (ExecutionException ex) {
          if (System.currentTimeMillis() > deadline) throw ex;
          Thread.sleep(200);
        }
      }
    }
  }

  static void produce(Scenario s, List<Integer> topicIdx, Map<Integer, TopicStats> stats, List<String> errors)
      throws Exception {
    for (int t : topicIdx) {
      TopicStats ts = stats.get(t);
      Properties p = common(s);
      p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
      p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
      p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, ts.compression);
      p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
      p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, "10485760");
      p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, "67108864");
      if (ts.acks == 0) {
        p.put(ProducerConfig.ACKS_CONFIG, "0");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false");
        // keep order per partition without idempotence
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
      } else {
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
      }
      String topic = s.topic(t);
      List<Future<RecordMetadata>> futures = new ArrayList<>();
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
        for (int i = 0; i < s.countFor(t); i++) {
          Msg m = s.message(t, i);
          ProducerRecord<byte[], byte[]> rec = new ProducerRecord<>(topic, m.partition, m.key, m.value);
          rec.headers().add("seq", Integer.toString(i).getBytes(StandardCharsets.US_ASCII));
          rec.headers().add("src", s.clientId.getBytes(StandardCharsets.UTF_8));
          futures.add(producer.send(rec));
        }
        producer.flush();
        for (int i = 0; i < futures.size(); i++) {
          try {
            futures.get(i).get(60, TimeUnit.SECONDS);
            ts.produced++;
          } catch (ExecutionException e) {
            errors.add(topic + " #" + i + ": produce failed: " + e.getCause());
          }
        }
      }
    }
  }

  static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  static void consume(Scenario s, List<Integer> topicIdx, Map<Integer, TopicStats> stats,
      Map<TopicPartition, Long> start, List<String> errors) {
    Map<String, Integer> byName = new HashMap<>();
    for (int t : topicIdx) byName.put(s.topic(t), t);
    Properties p = common(s);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, s.clientId + "." + s.prefix);
    p.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, s.groupProtocol);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, "4194304");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    int expectedTotal = 0;
    for (int t : topicIdx) expectedTotal += s.countFor(t);
    Map<TopicPartition, Integer> lastIndex = new HashMap<>();
    Set<String> seen = new HashSet<>();
    int got = 0;
    long deadline = System.currentTimeMillis() + s.timeoutMs;
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
      consumer.subscribe(new ArrayList<>(byName.keySet()));
      while (got < expectedTotal && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          TopicPartition tp = new TopicPartition(r.topic(), r.partition());
          if (r.offset() < start.getOrDefault(tp, 0L)) continue; // from an earlier run with the same prefix
          Integer t = byName.get(r.topic());
          String where = r.topic() + "/" + r.partition() + "@" + r.offset();
          if (t == null) { errors.add(where + ": unexpected topic"); continue; }
          String key = r.key() == null ? "" : new String(r.key(), StandardCharsets.US_ASCII);
          int i = -1;
          if (key.startsWith("k") && key.indexOf('.') > 1) {
            try { i = Integer.parseInt(key.substring(1, key.indexOf('.'))); } catch (NumberFormatException ignored) {}
          }
          if (i < 0 || i >= s.countFor(t)) { errors.add(where + ": bad key " + key); continue; }
          if (!seen.add(t + "/" + i)) { errors.add(where + ": duplicate message #" + i); continue; }
          Msg m = s.message(t, i);
          TopicStats ts = stats.get(t);
          if (!Arrays.equals(r.key(), m.key)) errors.add(where + ": key mismatch for #" + i);
          if (r.value() == null || !Arrays.equals(r.value(), m.value))
            errors.add(where + ": value mismatch for #" + i + " (got " + (r.value() == null ? "null" : r.value().length)
                + " bytes, want " + m.value.length + ")");
          if (r.partition() != m.partition) errors.add(where + ": #" + i + " in partition " + r.partition() + ", want " + m.partition);
          String seq = header(r, "seq"), src = header(r, "src");
          if (!Integer.toString(i).equals(seq) || !s.clientId.equals(src))
            errors.add(where + ": headers mismatch for #" + i + " (seq=" + seq + ", src=" + src + ")");
          else ts.headersChecked++;
          Integer last = lastIndex.put(tp, i);
          if (last != null && last >= i) errors.add(where + ": out of order, #" + i + " after #" + last);
          ts.consumed++;
          ts.consumedValueBytes += r.value() == null ? 0 : r.value().length;
          got++;
        }
      }
      try {
        consumer.commitSync(Duration.ofSeconds(10));
      } catch (Exception e) {
        errors.add("commit failed: " + e);
      }
    }
    if (got < expectedTotal) errors.add("timeout after " + s.timeoutMs + " ms: consumed " + got + " of " + expectedTotal);
  }
}
