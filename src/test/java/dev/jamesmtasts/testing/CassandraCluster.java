package dev.jamesmtasts.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.metadata.Node;
import com.datastax.oss.driver.api.core.metadata.NodeState;

/**
 * A cluster of Cassandra nodes on consecutive loopback addresses, run by {@code bin/cassandra cluster}
 * (one JVM per node, the same CQL and storage ports on each address, seed = node 1, data under
 * {@code target/}). Its addresses and ports differ from the shared node on 127.0.0.1:9042, which keeps
 * running for the other tests.
 */
public final class CassandraCluster implements AutoCloseable {
    private final String firstAddress;
    private final int nodes;
    private final int port;
    private final Map<String, String> env;
    private final Path dir;

    private CassandraCluster(String firstAddress, int nodes, int port, Map<String, String> env) {
        this.dir = Paths.get(env.get("MTA_STS_CASSANDRA_DIR"));
        this.firstAddress = firstAddress;
        this.nodes = nodes;
        this.port = port;
        this.env = env;
    }

    /**
     * {@code nodes} nodes from {@code firstAddress} up (127.0.0.2, .3, .4 for 127.0.0.2 and 3), CQL on
     * {@code port}, gossip on {@code storagePort}, JMX on {@code jmxBase}.. (bound to 127.0.0.1: keep the
     * range clear of other nodes), heap 768m each, data in {@code target/cassandra-<name>/node<i>}.
     */
    public static CassandraCluster onLoopback(String name, String firstAddress, int nodes, int port, int storagePort,
                                              int jmxBase) {
        Map<String, String> env = CassandraNode.launcherEnv(name, port, storagePort, jmxBase);
        env.put("MTA_STS_CASSANDRA_NODES", Integer.toString(nodes));
        env.put("MTA_STS_CASSANDRA_ADDRESS", firstAddress);
        return new CassandraCluster(firstAddress, nodes, port, Map.copyOf(env));
    }

    public int size() {
        return nodes;
    }

    /** The address of node {@code i} (1-based), as bin/cassandra computes it. */
    public String address(int i) {
        int dot = firstAddress.lastIndexOf('.');
        return firstAddress.substring(0, dot + 1) + (Integer.parseInt(firstAddress.substring(dot + 1)) + i - 1);
    }

    /**
     * Starts every node, one after the other, on empty data dirs (a node left over from an aborted run
     * is stopped first; the resolved classpath is kept).
     */
    public void start() {
        stop();
        for (int i = 1; i <= nodes; i++) {
            deleteTree(dir.resolve("node" + i));
        }
        CassandraNode.launcher(env, Duration.ofMinutes(4L * nodes), false, "cluster", "start");
    }

    /** SIGKILL of node {@code i}: a crash, no drain. */
    public void kill(int i) {
        CassandraNode.launcher(env, Duration.ofMinutes(1), false, "cluster", "kill", Integer.toString(i));
    }

    /** Starts node {@code i} again on the data it has (after {@link #kill}); the other nodes keep running. */
    public void startNode(int i) {
        CassandraNode.launcher(env, Duration.ofMinutes(4), false, "cluster", "start", Integer.toString(i));
    }

    /** Stops every node that runs (SIGTERM, all at once). */
    public void stop() {
        CassandraNode.launcher(env, Duration.ofMinutes(3), false, "cluster", "stop");
    }

    @Override
    public void close() {
        stop();
    }

    /** A session with every node as contact point (driver 4.15, datacenter1, the test timeouts). */
    public CqlSession newSession() {
        List<InetSocketAddress> points = new ArrayList<>();
        for (int i = 1; i <= nodes; i++) {
            points.add(new InetSocketAddress(address(i), port));
        }
        return CqlSession.builder()
                .addContactPoints(points)
                .withLocalDatacenter("datacenter1")
                .withConfigLoader(CassandraNode.driverConfig())
                .build();
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot empty " + root, e);
        }
    }

    /** How many nodes {@code session}'s driver sees UP. */
    public static long nodesUp(CqlSession session) {
        return session.getMetadata().getNodes().values().stream().map(Node::getState).filter(NodeState.UP::equals).count();
    }
}
