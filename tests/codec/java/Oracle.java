// Independent oracle for the test encoder: Kafka's own generated message classes (kafka-clients)
// must parse every body exactly to its end and re-serialize it to the identical bytes (or, when tagged
// fields holding default values were dropped, to bytes that parse to an equal message).
// stdin lines: "<apiKey> <version> <0=request|1=response> <hex body>"; stdout: "OK" or "ERR <reason>" per line.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import org.apache.kafka.common.message.ApiMessageType;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.ObjectSerializationCache;

public class Oracle {
  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
    StringBuilder out = new StringBuilder();
    HexFormat hex = HexFormat.of();
    String line;
    while ((line = in.readLine()) != null) {
      if (line.isEmpty()) continue;
      String[] p = line.split(" ", -1);
      short key = Short.parseShort(p[0]), version = Short.parseShort(p[1]);
      boolean resp = p[2].equals("1");
      byte[] body = hex.parseHex(p[3]);
      try {
        ApiMessageType t = ApiMessageType.fromApiKey(key);
        ApiMessage m = resp ? t.newResponse() : t.newRequest();
        ByteBuffer buf = ByteBuffer.wrap(body);
        m.read(new ByteBufferAccessor(buf), version);
        if (buf.remaining() != 0) { out.append("ERR ").append(buf.remaining()).append(" bytes left\n"); continue; }
        ObjectSerializationCache cache = new ObjectSerializationCache();
        int size = m.size(cache, version);
        ByteBuffer w = ByteBuffer.allocate(size);
        m.write(new ByteBufferAccessor(w), cache, version);
        byte[] again = w.array();
        // Java omits tagged fields holding their default value: then the bytes differ but the messages must be equal
        ApiMessage m2 = resp ? t.newResponse() : t.newRequest();
        m2.read(new ByteBufferAccessor(ByteBuffer.wrap(again)), version);
        if (!Arrays.equals(again, body) && !(again.length < body.length && m2.equals(m))) {
          int i = 0;
          while (i < Math.min(again.length, body.length) && again[i] == body[i]) i++;
          out.append("ERR re-serialized differs at byte ").append(i).append(" (").append(again.length).append(" vs ").append(body.length).append(")\n");
          continue;
        }
        out.append("OK\n");
      } catch (Throwable e) {
        out.append("ERR ").append(e.toString().replace('\n', ' ')).append('\n');
      }
    }
    System.out.print(out);
  }
}
