using Microsoft.Extensions.Logging;

namespace Ezio.Agent;

/// <summary>Every agent log line, source-generated, with stable event ids (journal: EZIO_EVENT_ID).</summary>
internal static partial class AgentLog
{
    [LoggerMessage(1, LogLevel.Information, "ezio agent {Version} starting: server {Server}, disk {Disk}")]
    public static partial void Starting(ILogger logger, string version, string? server, string disk);

    [LoggerMessage(2, LogLevel.Error, "No deployment server: {Reason}. Set ezio.server=http://HOST:PORT on the kernel command line or \"server\" in /etc/ezio/agent.json; retrying in {RetrySeconds} s")]
    public static partial void NoServer(ILogger logger, string reason, double retrySeconds);

    [LoggerMessage(3, LogLevel.Warning, "Cannot register with {Server}: {Reason}; retrying in {RetrySeconds} s")]
    public static partial void RegisterFailed(ILogger logger, Uri server, string reason, double retrySeconds);

    [LoggerMessage(4, LogLevel.Information, "Registered as {MachineId} ({Mac}) with {Server}; {DiskCount} disks")]
    public static partial void Registered(ILogger logger, string machineId, string mac, Uri server, int diskCount);

    [LoggerMessage(5, LogLevel.Information, "No job yet: {Reason}; asking again in {RetrySeconds} s")]
    public static partial void Waiting(ILogger logger, string reason, double retrySeconds);

    [LoggerMessage(6, LogLevel.Information, "Job {DeploymentId}: image {Image} ({ImageSize} bytes), disk rule {DiskRule}")]
    public static partial void JobReceived(ILogger logger, string deploymentId, string image, long imageSize, string diskRule);

    [LoggerMessage(7, LogLevel.Information, "Phase {Phase}: {PhaseText}")]
    public static partial void PhaseEntered(ILogger logger, string phase, string phaseText);

    [LoggerMessage(8, LogLevel.Error, "Job {DeploymentId} refused ({Refusal}): {Reason}; nothing was written")]
    public static partial void Refused(ILogger logger, string deploymentId, string refusal, string reason);

    [LoggerMessage(43, LogLevel.Warning, "Job {DeploymentId}: deployment cancelled by the server ({Reason}); writing stopped and flushed, nothing reported as done, no reboot into the half-written disk")]
    public static partial void Cancelled(ILogger logger, string deploymentId, string reason);

    [LoggerMessage(9, LogLevel.Information, "Target disk {Disk}: {Description}")]
    public static partial void DiskChosen(ILogger logger, string disk, string description);

    [LoggerMessage(10, LogLevel.Information, "Partition table applied to {Disk} ({Label})")]
    public static partial void Partitioned(ILogger logger, string disk, string label);

    [LoggerMessage(11, LogLevel.Warning, "{Command} failed on {Disk} (exit {ExitCode}): {Output}")]
    public static partial void CommandFailed(ILogger logger, string command, string disk, int exitCode, string output);

    [LoggerMessage(12, LogLevel.Information, "Deploying {Image} to {Disk}: {PiecesHave}/{PieceCount} pieces already on disk after recheck")]
    public static partial void Rechecked(ILogger logger, string image, string disk, int piecesHave, int pieceCount);

    [LoggerMessage(13, LogLevel.Information, "Disk {Disk} complete and flushed: fetched {BytesFetched} bytes, wrote {BytesWritten} in {Seconds:0.0} s")]
    public static partial void Downloaded(ILogger logger, string disk, long bytesFetched, long bytesWritten, double seconds);

    [LoggerMessage(60, LogLevel.Information, "Disk {Disk} laid out anew for the image (partition: start+size in sectors): {Layout}")]
    public static partial void LaidOut(ILogger logger, string disk, string layout);

    [LoggerMessage(61, LogLevel.Information, "File system of partition {Number} on {Disk} grown to its partition: {Outcome}")]
    public static partial void FilesystemGrown(ILogger logger, int number, string disk, string outcome);

    [LoggerMessage(14, LogLevel.Information, "Verified {PieceCount} pieces on {Disk} in {Seconds:0.0} s")]
    public static partial void Verified(ILogger logger, int pieceCount, string disk, double seconds);

    [LoggerMessage(41, LogLevel.Warning, "{Disk} does not take O_DIRECT reads; verifying through the page cache")]
    public static partial void VerifyBuffered(ILogger logger, string disk);

    [LoggerMessage(15, LogLevel.Warning, "Post-step {Step} skipped: {Reason}")]
    public static partial void PostStepSkipped(ILogger logger, string step, string reason);

    [LoggerMessage(16, LogLevel.Warning, "Done report not acknowledged: {Reason}; retrying in {RetrySeconds} s (no reboot before the server flipped the boot menu)")]
    public static partial void DoneRetry(ILogger logger, string reason, double retrySeconds);

    [LoggerMessage(17, LogLevel.Information, "Server acknowledged done for {DeploymentId}; keep seeding: {KeepSeeding}")]
    public static partial void DoneAcknowledged(ILogger logger, string deploymentId, bool keepSeeding);

    [LoggerMessage(18, LogLevel.Information, "Seeding stopped: {Reason}; uploaded {Uploaded} bytes")]
    public static partial void SeedingStopped(ILogger logger, string reason, long uploaded);

    [LoggerMessage(19, LogLevel.Information, "After-action {Action}: {Command}")]
    public static partial void AfterAction(ILogger logger, string action, string command);

    [LoggerMessage(20, LogLevel.Error, "Deployment {DeploymentId} failed: {Reason}")]
    public static partial void DeployFailed(ILogger logger, string deploymentId, string reason, Exception exception);

    [LoggerMessage(21, LogLevel.Warning, "Progress report failed: {Reason}")]
    public static partial void ProgressFailed(ILogger logger, string reason);

    [LoggerMessage(22, LogLevel.Information, "Systemd watchdog: pinging every {IntervalMs} ms")]
    public static partial void Watchdog(ILogger logger, double intervalMs);

    [LoggerMessage(23, LogLevel.Warning, "Failure report not delivered: {Reason}; retrying in {RetrySeconds} s")]
    public static partial void FailureReportRetry(ILogger logger, string reason, double retrySeconds);

    [LoggerMessage(24, LogLevel.Information, "Stopping: {Reason}")]
    public static partial void Stopping(ILogger logger, string reason);

    [LoggerMessage(25, LogLevel.Information, "Post-step {Step} done: {Outcome}")]
    public static partial void PostStepDone(ILogger logger, string step, string outcome);

    [LoggerMessage(26, LogLevel.Error, "Post-step {Step} failed: {Reason}; the deployment stays done (the boot menu is already flipped)")]
    public static partial void PostStepFailed(ILogger logger, string step, string reason, Exception? exception);

    [LoggerMessage(40, LogLevel.Warning, "Server {Server} is plain HTTP: registration, job and reports travel in clear. Use https with the server's certificate pinned (ServerCertSha256)")]
    public static partial void PlainHttpServer(ILogger logger, Uri server);

    [LoggerMessage(42, LogLevel.Warning, "Server {Server}: InsecureTls is set, any certificate is accepted (no protection against an impostor)")]
    public static partial void InsecureTls(ILogger logger, Uri server);
}
