// Readiness probe for the test broker: succeeds once an AdminClient can describe the
// cluster, see a controller and list topics. Run with single-file source launch:
//   java -cp <kafka jars> tests/kafka/KafkaReady.java 127.0.0.1:9094 [timeoutSeconds]
import java.util.Properties;
import java.util.concurrent.TimeUnit;
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
            System.out.println("ready: cluster " + c.clusterId().get() + ", " + nodes + " node(s)");
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
}
