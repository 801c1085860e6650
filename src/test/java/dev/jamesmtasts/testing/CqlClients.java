package dev.jamesmtasts.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.driver.internal.core.context.InternalDriverContext;
import com.datastax.oss.driver.internal.core.context.StartupOptionsBuilder;

/**
 * Which driver sessions of THIS JVM hold connections to a Cassandra node, seen from both ends: the
 * process's own TCP sockets to the node's CQL port (Linux {@code /proc/self/fd} and
 * {@code /proc/self/net/tcp[6]}), matched by client port against the node's
 * {@code system_views.clients}, whose {@code client_options} carry the {@code CLIENT_ID} each driver
 * session sends in its STARTUP message (a random UUID per session; Cassandra 4.1+ shows it). Other
 * processes sharing the node (other test JVMs) are not counted.
 */
public final class CqlClients {
    private CqlClients() {
    }

    /** The {@code CLIENT_ID} a session announces to the nodes. */
    public static String clientId(CqlSession session) {
        return ((InternalDriverContext) session.getContext()).getStartupOptions().get(StartupOptionsBuilder.CLIENT_ID_KEY);
    }

    /**
     * {@code CLIENT_ID -> number of connections} of this JVM's sessions connected to the node at
     * 127.0.0.1:{@code nodePort}, asked through {@code query} (a session to that node).
     */
    public static Map<String, Integer> sessionsOfThisJvm(CqlSession query, int nodePort) throws IOException {
        Set<Integer> ports = ownClientPorts(nodePort);
        Map<String, Integer> sessions = new TreeMap<>();
        List<Row> rows = query.execute(SimpleStatement.newInstance("SELECT address, port, client_options FROM system_views.clients")
                .setTimeout(java.time.Duration.ofSeconds(20))).all();
        InetAddress loopback = InetAddress.getByName(CassandraNode.HOST);
        for (Row r : rows) {
            if (loopback.equals(r.getInetAddress("address")) && ports.contains(r.getInt("port"))) {
                Map<String, String> options = r.getMap("client_options", String.class, String.class);
                String id = options == null ? null : options.get(StartupOptionsBuilder.CLIENT_ID_KEY);
                sessions.merge(id == null ? "(no CLIENT_ID)" : id, 1, Integer::sum);
            }
        }
        return sessions;
    }

    /** The local ports of this process's established TCP connections to {@code remotePort}. */
    static Set<Integer> ownClientPorts(int remotePort) throws IOException {
        Set<String> inodes = new HashSet<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            fds.forEach(fd -> {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring("socket:[".length(), target.length() - 1));
                    }
                } catch (IOException e) {
                    // the descriptor was closed meanwhile
                }
            });
        }
        Set<Integer> ports = new HashSet<>();
        for (String table : List.of("/proc/self/net/tcp", "/proc/self/net/tcp6")) {
            Path p = Path.of(table);
            if (!Files.exists(p)) {
                continue;
            }
            for (String line : Files.readAllLines(p)) {
                // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
                String[] f = line.trim().split("\\s+");
                if (f.length < 10 || !f[3].equals("01") || !inodes.contains(f[9])) {
                    continue; // header, not ESTABLISHED, or another process's socket
                }
                int remote = Integer.parseInt(f[2].substring(f[2].indexOf(':') + 1), 16);
                if (remote == remotePort) {
                    ports.add(Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1), 16));
                }
            }
        }
        return ports;
    }
}
