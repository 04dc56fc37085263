// Readiness probe for the test broker: succeeds once an AdminClient can describe the
// cluster, see a controller and list topics, and an idempotent producer and a consumer group
// have each done one round trip (so the producer-id manager and the group coordinator are
// loaded before the first test client asks; a fresh broker answers those with
// COORDINATOR_LOAD_IN_PROGRESS / NOT_LEADER_OR_FOLLOWER for a while). Run with single-file source launch:
//   java -cp <kafka jars> tests/kafka/KafkaReady.java 127.0.0.1:9094 [timeoutSeconds]
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterResult;

public class KafkaReady {
  public static void main(String[] args) throws Exception {
    String bootstrap = args.length > 0 ? args[0] : "127.0.0.1:9094";
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(args.length > 1 ? Long.parseLong(args[1]) : 60);
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(AdminClientConfig.CLIENT_ID_CONFIG, "e2e-kafka-ready");
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
    Exception last = null;
    try (Admin admin = Admin.create(p)) {
      while (System.nanoTime() < deadline) {
        try {
          DescribeClusterResult c = admin.describeCluster();
          int nodes = c.nodes().get(10, TimeUnit.SECONDS).size();
          var controller = c.controller().get(10, TimeUnit.SECONDS);
          admin.listTopics().names().get(10, TimeUnit.SECONDS);
          if (nodes > 0 && controller != null && !controller.isEmpty()) {
            warmUp(bootstrap);
            System.out.println("ready: cluster " + c.clusterId().get() + ", " + nodes + " node(s), producer ids and group coordinator loaded");
            return;
          }
        } catch (Exception e) {
          last = e;
        }
        Thread.sleep(500);
      }
    }
    System.err.println("not ready: " + (last == null ? "timeout" : last));
    System.exit(1);
  }

  /** One idempotent produce and one group offset commit, each retried by the clients until the broker serves it. */
  static void warmUp(String bootstrap) throws Exception {
    String topic = "e2e-warmup";
    Properties pp = new Properties();
    pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    pp.put(ProducerConfig.CLIENT_ID_CONFIG, "e2e-kafka-ready");
    pp.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    pp.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "60000");
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(pp, new StringSerializer(), new StringSerializer())) {
      producer.send(new ProducerRecord<>(topic, 0, "warm", "up")).get(60, TimeUnit.SECONDS);
    }
    Properties cp = new Properties();
    cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    cp.put(ConsumerConfig.CLIENT_ID_CONFIG, "e2e-kafka-ready");
    cp.put(ConsumerConfig.GROUP_ID_CONFIG, "e2e-warmup");
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(cp, new StringDeserializer(), new StringDeserializer())) {
      TopicPartition tp = new TopicPartition(topic, 0);
      consumer.assign(List.of(tp));
      consumer.commitSync(Map.of(tp, new OffsetAndMetadata(1)), Duration.ofSeconds(60));
    }
  }
}
