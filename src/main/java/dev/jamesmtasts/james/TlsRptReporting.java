package dev.jamesmtasts.james;

import java.util.Objects;

import dev.jamesmtasts.reporting.ReportScheduler;
import dev.jamesmtasts.reporting.ReportStore;
import dev.jamesmtasts.reporting.ResultRecorder;

/**
 * The running TLS-RPT parts of one James node (RFC 8460): the result store, this node's recorder
 * (the {@code ResultSink} of every delivery attempt) and the report scheduler. Built and started by
 * the backend when {@code tlsrpt.enabled=true} ({@link MtaStsBackend#tlsRpt()}); read by the admin
 * surfaces (MBean, WebAdmin, metrics), which never build parts of their own.
 */
public final class TlsRptReporting {
    private final ReportStore store;
    private final ResultRecorder recorder;
    private final ReportScheduler scheduler;

    public TlsRptReporting(ReportStore store, ResultRecorder recorder, ReportScheduler scheduler) {
        this.store = Objects.requireNonNull(store);
        this.recorder = Objects.requireNonNull(recorder);
        this.scheduler = Objects.requireNonNull(scheduler);
    }

    public ReportStore store() {
        return store;
    }

    public ResultRecorder recorder() {
        return recorder;
    }

    public ReportScheduler scheduler() {
        return scheduler;
    }
}
