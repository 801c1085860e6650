package dev.jamesmtasts.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time of another process, read from {@code /proc/<pid>/stat} (user + system time of all its
 * threads): a figure that holds still from run to run on a shared machine, unlike mails per second.
 */
final class ProcessCpu {
    /** Clock ticks per second of /proc's times ({@code getconf CLK_TCK}; 100 on Linux in practice). */
    private static final double TICKS_PER_SECOND = ticksPerSecond();

    private ProcessCpu() {
    }

    /** The pid in {@code pidFile}, or -1 when absent or unreadable. */
    static long pidFrom(Path pidFile) {
        try {
            return Long.parseLong(Files.readString(pidFile).trim());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    /** User + system CPU seconds used so far by process {@code pid}, or NaN when unknown. */
    static double seconds(long pid) {
        if (pid <= 0) {
            return Double.NaN;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // Fields after "(comm)" (which may hold spaces): state is field 3, utime 14, stime 15.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS_PER_SECOND;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    private static double ticksPerSecond() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            return p.waitFor() == 0 ? Double.parseDouble(out) : 100;
        } catch (IOException | RuntimeException e) {
            return 100;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 100;
        }
    }
}
