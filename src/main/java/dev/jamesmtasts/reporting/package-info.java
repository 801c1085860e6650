/**
 * TLS-RPT (RFC 8460) storage and scheduling: session results counted per node and merged across
 * nodes in Cassandra ({@link dev.jamesmtasts.reporting.ResultRecorder}, {@link dev.jamesmtasts.reporting.ReportStore}),
 * one report per policy domain and UTC day sent by exactly one node
 * ({@link dev.jamesmtasts.reporting.ReportScheduler}). No James: the rua lookup and the transports come in
 * through {@link dev.jamesmtasts.reporting.ReportDestinations} and {@link dev.jamesmtasts.reporting.ReportDelivery}.
 * Design and figures: docs/tlsrpt-store.md.
 */
package dev.jamesmtasts.reporting;
