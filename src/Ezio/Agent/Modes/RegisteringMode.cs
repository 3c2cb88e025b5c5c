using System.Net.NetworkInformation;
using System.Net.Sockets;
using Ezio.Agent.Server;
using Ezio.Deployment.Contracts;

namespace Ezio.Agent.Modes;

/// <summary>
/// Registers (MAC, IP, disks, RAM, boot id) and waits until the server hands out a job,
/// backing off while the server is unreachable and saying why on screen and in the journal.
/// </summary>
internal sealed class RegisteringMode(bool afterFailure = false) : Mode
{
    public override DeployPhase Phase => DeployPhase.Registered;

    public override async Task<Mode?> RunAsync(AgentContext context, CancellationToken cancellationToken)
    {
        if (afterFailure && context.MachineId is not null)
        {
            // Registering again would overwrite the "failed" state the server just recorded;
            // the server already knows us, so only ask for a new job.
            return await WaitForJobAsync(context, null, new WaitInstruction("the last job was refused or failed; waiting for a new one", 15), cancellationToken).ConfigureAwait(false);
        }
        context.Enter(DeployPhase.Registered, "registering with the deployment server");
        var attempt = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var delay = context.Backoff(attempt++);
            if (string.IsNullOrWhiteSpace(context.Options.Server) || !Uri.TryCreate(context.Options.Server, UriKind.Absolute, out _)
                || ServerClient.TrustProblem(context.Options) is not null)
            {
                var reason = string.IsNullOrWhiteSpace(context.Options.Server) ? "no ezio.server= given"
                    : ServerClient.TrustProblem(context.Options) ?? $"ezio.server={context.Options.Server} is not a URL";
                AgentLog.NoServer(context.Logger, reason, delay.TotalSeconds);
                Console.Error.WriteLine($"ezio agent: {reason}; set ezio.server=http://HOST:PORT (kernel command line) or \"server\" in /etc/ezio/agent.json");
                context.Status.SetError($"{reason}: set ezio.server=http://HOST:PORT");
                await context.DelayAsync(delay, cancellationToken).ConfigureAwait(false);
                continue;
            }
            var mac = context.Mac ??= Machine.Mac(context.Options.Mac);
            context.Status.SetMachine(Machine.Describe(mac));
            try
            {
                var disks = context.Inventory.List();
                var request = new RegisterRequest(mac, Machine.Ip(), Environment.MachineName, disks.Select(d => d.ToInfo()).ToList(),
                    Machine.RamBytes(), Machine.BootId(), AgentCommand.Version);
                var answer = await context.Server.RegisterAsync(request, cancellationToken).ConfigureAwait(false);
                context.MachineId = answer.MachineId;
                context.Server.Secret = answer.Secret;
                context.Status.SetError(null);
                AgentLog.Registered(context.Logger, answer.MachineId, mac, context.Server.BaseAddress, disks.Count);
                context.OnRegistered?.Invoke();
                return await WaitForJobAsync(context, answer.Job, answer.Wait, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is ServerUnavailableException or ServerRejectedException)
            {
                AgentLog.RegisterFailed(context.Logger, context.Server.BaseAddress, e.Message, delay.TotalSeconds);
                context.Status.SetMessage($"waiting for the server (retry in {delay.TotalSeconds:0} s)");
                context.Status.SetError(e.Message);
                await context.DelayAsync(delay, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static async Task<Mode?> WaitForJobAsync(AgentContext context, Job? job, WaitInstruction? wait, CancellationToken cancellationToken)
    {
        var attempt = 0;
        while (job is null)
        {
            var seconds = Math.Clamp(wait?.RetryAfterSeconds ?? 15, 1, 300);
            var reason = wait?.Reason ?? "no job yet";
            AgentLog.Waiting(context.Logger, reason, seconds);
            context.Status.SetPhase(DeployPhase.Registered, "waiting for a job", $"server: {reason} (asking again in {seconds} s)");
            await context.DelayAsync(TimeSpan.FromSeconds(seconds), cancellationToken).ConfigureAwait(false);
            try
            {
                var answer = await context.Server.GetJobAsync(context.MachineId!, cancellationToken).ConfigureAwait(false);
                (job, wait) = (answer.Job, answer.Wait);
                context.Status.SetError(null);
                attempt = 0;
            }
            catch (ServerRejectedException)
            {
                // The server forgot us (restarted without state): register again.
                return new RegisteringMode();
            }
            catch (ServerUnavailableException e)
            {
                var delay = context.Backoff(attempt++);
                context.Status.SetError(e.Message);
                wait = new WaitInstruction($"server unreachable: {e.Message}", (int)delay.TotalSeconds);
            }
        }
        context.Job = job;
        // The job's copy of the secret is the one its signature covers.
        context.Server.Secret = job.Secret ?? context.Server.Secret;
        var rule = job.TargetDisk.Kind + (job.TargetDisk.Value is null ? "" : "=" + job.TargetDisk.Value);
        AgentLog.JobReceived(context.Logger, job.DeploymentId, job.Image, job.ImageSizeBytes, rule);
        context.Status.SetJob(job.Image, null);
        return new CheckingMode();
    }
}

/// <summary>Facts about this machine for the registration.</summary>
internal static class Machine
{
    /// <summary>The configured MAC, else the first up, non-loopback interface's.</summary>
    public static string Mac(string? configured)
    {
        if (configured is not null)
        {
            return MacAddress.TryNormalize(configured, out var mac) ? mac : throw new InvalidOperationException($"not a MAC address: {configured}");
        }
        var nic = Interfaces().FirstOrDefault();
        var bytes = nic?.GetPhysicalAddress().GetAddressBytes();
        return bytes is { Length: 6 } ? string.Join(':', bytes.Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture))) : "00:00:00:00:00:00";
    }

    /// <summary>The MACs of every non-loopback interface, up or not.</summary>
    public static IReadOnlyCollection<string> OwnMacs() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .Select(n => n.GetPhysicalAddress().GetAddressBytes())
            .Where(b => b.Length == 6)
            .Select(b => string.Join(':', b.Select(x => x.ToString("x2", System.Globalization.CultureInfo.InvariantCulture))))
            .ToHashSet(StringComparer.Ordinal);

    public static string? Ip() =>
        Interfaces().SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)?.ToString();

    public static string Describe(string mac) => $"{Environment.MachineName} ({mac}{(Ip() is { } ip ? ", " + ip : "")})";

    public static long RamBytes()
    {
        try
        {
            var line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            var kib = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
            return long.TryParse(kib, out var value) ? value * 1024 : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    public static string? BootId()
    {
        try
        {
            return File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static IEnumerable<NetworkInterface> Interfaces() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback
                && n.GetPhysicalAddress().GetAddressBytes().Length == 6)
            .OrderBy(n => n.Name, StringComparer.Ordinal);
}
