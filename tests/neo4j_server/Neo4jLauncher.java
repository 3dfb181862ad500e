// Runs a real Neo4j Community server in this JVM for the test session, with Bolt on 127.0.0.1:PORT.
// Usage: java -cp CLASSPATH Neo4jLauncher.java PORT DATA_DIR
// The password for user `neo4j` comes from the environment (PLAN_KG_TEST_NEO4J_PASSWORD), never argv.
// Prints "READY <bolt uri>" once the server answers; stops when its standard input closes.
import java.nio.file.Path;
import java.util.Map;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.harness.Neo4j;
import org.neo4j.harness.Neo4jBuilders;

public class Neo4jLauncher {
    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        Path dataDir = Path.of(args[1]);
        String password = System.getenv("PLAN_KG_TEST_NEO4J_PASSWORD");
        if (password == null || password.length() < 8) {
            System.err.println("PLAN_KG_TEST_NEO4J_PASSWORD must be set (8+ characters)");
            System.exit(2);
        }
        Neo4j neo4j = Neo4jBuilders.newInProcessBuilder(dataDir)
                .withDisabledServer()
                .withConfig(BoltConnector.enabled, true)
                .withConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .withConfig(GraphDatabaseSettings.auth_enabled, true)
                .withConfig(GraphDatabaseSettings.pagecache_memory, 128L * 1024 * 1024)
                .build();
        // Embedded access to the system database is not subject to auth: set the real password here.
        neo4j.databaseManagementService().database("system").executeTransactionally(
                "ALTER USER neo4j SET PASSWORD $pw CHANGE NOT REQUIRED", Map.of("pw", password));
        Runtime.getRuntime().addShutdownHook(new Thread(neo4j::close));
        System.out.println("READY bolt://127.0.0.1:" + port);
        System.out.flush();
        while (System.in.read() != -1) {
            // wait for the parent to close our stdin
        }
        neo4j.close();
    }
}
