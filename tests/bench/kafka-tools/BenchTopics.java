// Creates the benchmark's topics in one Admin call (single-file source launch):
//   java -cp <kafka-tools jars> BenchTopics.java <bootstrap> <name>:<partitions> ...
// Run against the broker's INTERNAL listener (it advertises itself, so no Envoy is needed).
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

public class BenchTopics {
  public static void main(String[] args) throws Exception {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    p.put(AdminClientConfig.CLIENT_ID_CONFIG, "bench-admin");
    List<NewTopic> topics = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      int colon = args[i].lastIndexOf(':');
      topics.add(new NewTopic(args[i].substring(0, colon), Integer.parseInt(args[i].substring(colon + 1)), (short) 1));
    }
    try (Admin admin = Admin.create(p)) {
      admin.createTopics(topics).all().get(120, TimeUnit.SECONDS);
      // wait until every partition has a leader, so the first produce does not retry
      List<String> names = topics.stream().map(NewTopic::name).toList();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (System.nanoTime() < deadline) {
        var described = admin.describeTopics(names).allTopicNames().get(30, TimeUnit.SECONDS);
        if (described.values().stream().allMatch(t -> t.partitions().stream().allMatch(pi -> pi.leader() != null))) {
          System.out.println("created " + topics.size() + " topics");
          return;
        }
        Thread.sleep(200);
      }
      throw new RuntimeException("partitions without a leader after 60 s");
    }
  }
}
