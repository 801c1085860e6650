package dev.jamesmtasts.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;

/**
 * A Cassandra node run by the project's own launcher, {@code bin/cassandra}, in a JVM of its own.
 * The default node listens on 127.0.0.1:9042 with its data in {@code run/cassandra}; extra nodes (for
 * restart and outage tests) get other ports and a data dir under {@code target/}.
 */
public final class CassandraNode {
    public static final String HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 9042;

    private final int port;
    private final Map<String, String> env;

    private CassandraNode(int port, Map<String, String> env) {
        this.port = port;
        this.env = env;
    }

    /** The shared node on 9042 (data dir from MTA_STS_CASSANDRA_DIR or run/cassandra). */
    public static CassandraNode shared() {
        return new CassandraNode(DEFAULT_PORT, Map.of());
    }

    /** An extra single node of its own cluster on other ports, data under target/ (removed by mvn clean). */
    public static CassandraNode extra(String name, int port, int storagePort, int jmxPort) {
        return new CassandraNode(port, launcherEnv(name, port, storagePort, jmxPort));
    }

    /**
     * The bin/cassandra environment of a test node or cluster named {@code name}: data in
     * {@code target/cassandra-<name>}, cluster name {@code mta-sts-<name>}, the given ports, heap 768m.
     */
    static Map<String, String> launcherEnv(String name, int port, int storagePort, int jmxPort) {
        Map<String, String> env = new HashMap<>();
        env.put("MTA_STS_CASSANDRA_DIR", repoRoot().resolve("target").resolve("cassandra-" + name).toString());
        env.put("MTA_STS_CASSANDRA_PORT", Integer.toString(port));
        env.put("MTA_STS_CASSANDRA_STORAGE_PORT", Integer.toString(storagePort));
        env.put("MTA_STS_CASSANDRA_JMX_PORT", Integer.toString(jmxPort));
        env.put("MTA_STS_CASSANDRA_CLUSTER", "mta-sts-" + name);
        env.put("MTA_STS_CASSANDRA_HEAP", "768m");
        return env;
    }

    /** {@link #extra} on ports free at the time of the call. */
    public static CassandraNode extraOnFreePorts(String name) throws IOException {
        return extra(name, freePort(), freePort(), freePort());
    }

    private static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Deletes the data of a stopped extra node (a fresh start: a new empty cluster). */
    public void deleteData() throws IOException {
        String dir = env.get("MTA_STS_CASSANDRA_DIR");
        if (dir == null) {
            throw new IllegalStateException("the shared node's data is never deleted");
        }
        deleteTree(Paths.get(dir).resolve("storage"));
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (java.util.stream.Stream<Path> walk = Files.walk(p)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    public int port() {
        return port;
    }

    public static Path repoRoot() {
        String base = System.getProperty("project.basedir");
        Path p = base != null ? Paths.get(base) : Paths.get("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("bin").resolve("cassandra"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("cannot find the repository root (bin/cassandra)");
        }
        return p;
    }

    /** True when something answers TCP on the CQL port. */
    public boolean listening() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(HOST, port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public void start() {
        run("start", Duration.ofMinutes(4));
    }

    public void stop() {
        run("stop", Duration.ofMinutes(2));
    }

    /** {@code bin/cassandra status} exit code 0. */
    public boolean status() {
        return run("status", Duration.ofSeconds(30)) == 0;
    }

    private int run(String cmd, Duration bound) {
        return launcher(env, bound, cmd.equals("status"), cmd);
    }

    /**
     * Runs {@code bin/cassandra args...} with {@code env} added, waiting at most {@code bound}; returns
     * its exit code, throws when it fails unless {@code anyExitCode} (status commands).
     */
    static int launcher(Map<String, String> env, Duration bound, boolean anyExitCode, String... args) {
        List<String> command = new ArrayList<>();
        command.add(repoRoot().resolve("bin").resolve("cassandra").toString());
        command.addAll(List.of(args));
        String cmd = String.join(" ", args);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        try {
            Process p = pb.start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("bin/cassandra " + cmd + " did not finish within " + bound);
            }
            int rc = p.exitValue();
            if (rc != 0 && !anyExitCode) {
                throw new IllegalStateException("bin/cassandra " + cmd + " failed (" + rc + "):\n" + new String(out));
            }
            return rc;
        } catch (IOException e) {
            throw new IllegalStateException("bin/cassandra " + cmd + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** A new session to this node (driver 4.15, local datacenter datacenter1, quick reconnection). */
    public CqlSession newSession() {
        return CqlSession.builder()
                .addContactPoint(new InetSocketAddress(HOST, port))
                .withLocalDatacenter("datacenter1")
                .withConfigLoader(driverConfig())
                .build();
    }

    /** The driver settings of the test sessions: bounded timeouts, quick reconnection to a node back up. */
    static DriverConfigLoader driverConfig() {
        return DriverConfigLoader.programmaticBuilder()
                .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(10))
                .withDuration(DefaultDriverOption.CONNECTION_INIT_QUERY_TIMEOUT, Duration.ofSeconds(10))
                .withDuration(DefaultDriverOption.METADATA_SCHEMA_REQUEST_TIMEOUT, Duration.ofSeconds(30))
                .withDuration(DefaultDriverOption.CONTROL_CONNECTION_AGREEMENT_TIMEOUT, Duration.ofSeconds(30))
                .withDuration(DefaultDriverOption.RECONNECTION_BASE_DELAY, Duration.ofMillis(500))
                .withDuration(DefaultDriverOption.RECONNECTION_MAX_DELAY, Duration.ofSeconds(2))
                .build();
    }
}
