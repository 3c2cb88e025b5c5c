using Ezio.Deployment.Contracts;
using Ezio.Deployment.Signing;
using Ezio.Server.BootMenus;

namespace Ezio.Server.Deployments;

internal sealed partial class DeploymentManager
{
    public const int MaxDisks = 64;
    public const int MaxText = 256;

    public ApiOutcome<RegisterResponse> Register(RegisterRequest request, string? remoteIp)
    {
        if (!MacAddress.TryNormalize(request.Mac, out var mac))
        {
            return ApiOutcome<RegisterResponse>.Fail(400, "mac: expected aa:bb:cc:dd:ee:ff");
        }
        if (request.Disks is null || request.Disks.Count > MaxDisks)
        {
            return ApiOutcome<RegisterResponse>.Fail(400, $"disks: at most {MaxDisks}");
        }
        if (request.RamBytes < 0 || request.Disks.Any(d => d is null || d.SizeBytes < 0 || TooLong(d.Path) || d.Path.Length == 0 || TooLong(d.ByPath) || TooLong(d.Model) || TooLong(d.Serial))
            || TooLong(request.Hostname) || TooLong(request.Ip) || TooLong(request.BootId) || TooLong(request.AgentVersion))
        {
            return ApiOutcome<RegisterResponse>.Fail(400, "invalid field (negative size or text too long)");
        }
        MachineRecord machine;
        string? conflictWith = null;
        string? holder = null;
        bool paused;
        lock (_lock)
        {
            if (!_machines.TryGetValue(mac, out var known))
            {
                // A new MAC: bounded in rate per address and in number (the oldest idle machine goes).
                if (!_newMachines.TryTake(remoteIp))
                {
                    return ApiOutcome<RegisterResponse>.Fail(429, $"too many new machines from {remoteIp}; try again in a minute");
                }
                known = AddMachineLocked(mac);
                if (known is null)
                {
                    return ApiOutcome<RegisterResponse>.Fail(503, $"{_maxMachines} machines known, all in open deployments; no room for another");
                }
            }
            machine = known;
            var held = HeldDeploymentLocked(machine);
            paused = machine.Conflict is not null;
            if (!paused && held is not null && machine.Secret is not null && machine.SecretAddress != remoteIp)
            {
                // Another host claims a MAC whose job is already held: never hand the job
                // (or a fresh secret) to either side until an admin says which is real.
                (paused, conflictWith, holder) = (true, held.Id, machine.SecretAddress);
                machine.Conflict = remoteIp ?? "unknown";
                SaveLocked(machine);
            }
            if (!paused)
            {
                if (held is null || machine.Secret is null)
                {
                    machine.Secret = NewSecret();
                    machine.SecretAddress = remoteIp;
                }
                // The socket's address: a body can claim anything.
                machine.Ip = remoteIp;
                machine.Hostname = request.Hostname;
                machine.BootId = request.BootId;
                machine.AgentVersion = request.AgentVersion;
                machine.RamBytes = request.RamBytes;
                machine.Disks = request.Disks.ToList();
                machine.LastSeen = _time.GetUtcNow();
                machine.Phase = DeployPhase.Registered;
                SaveLocked(machine);
            }
        }
        if (conflictWith is not null)
        {
            DeploymentsLog.Conflict(_logger, mac, conflictWith, holder, machine.Conflict!);
            Publish(DeploymentEventKind.MachineConflict, null, machine);
        }
        if (paused)
        {
            return ApiOutcome<RegisterResponse>.Ok(new RegisterResponse(machine.MachineId, null, Paused(machine), null));
        }
        DeploymentsLog.Registered(_logger, mac, machine.Ip);
        Publish(DeploymentEventKind.MachineRegistered, null, machine);
        var job = JobFor(machine);
        string? secret;
        lock (_lock)
        {
            secret = machine.Secret;
        }
        return ApiOutcome<RegisterResponse>.Ok(new RegisterResponse(machine.MachineId, job.Job, job.Wait, secret));
    }

    public ApiOutcome<JobResponse> GetJob(string? machineId, Caller caller)
    {
        MachineRecord? machine;
        lock (_lock)
        {
            machine = MachineByIdLocked(machineId);
            if (machine is not null && RefusedLocked(machine, caller, "job") is { } refused)
            {
                return ApiOutcome<JobResponse>.Fail(refused.Status, refused.Error);
            }
        }
        return machine is null
            ? ApiOutcome<JobResponse>.Fail(404, "unknown machine; register first")
            : ApiOutcome<JobResponse>.Ok(JobFor(machine));
    }

    public ApiOutcome<bool> Progress(ProgressReport report, Caller caller)
    {
        if (report.BytesDone < 0 || report.BytesTotal < 0 || report.RateIn < 0 || report.RateOut < 0 || report.Peers < 0 || report.Message is { Length: > 1024 })
        {
            return ApiOutcome<bool>.Fail(400, "invalid progress values");
        }
        MachineRecord machine;
        lock (_lock)
        {
            var error = FindLocked(report.MachineId, report.DeploymentId, out var found, out var deployment);
            if (error is not null)
            {
                return ApiOutcome<bool>.Fail(404, error);
            }
            if (RefusedLocked(found!, caller, "progress") is { } refused)
            {
                return ApiOutcome<bool>.Fail(refused.Status, refused.Error);
            }
            if (CancelledLocked(found!, deployment!) is { } gone)
            {
                return ApiOutcome<bool>.Fail(410, gone);
            }
            machine = found!;
            // A report that left before the done or failure report may land after it: it must not
            // bring an ended machine back to an earlier phase (a done machine may still go on to seed).
            bool ended = machine.Phase is DeployPhase.Failed
                || (machine.Phase is DeployPhase.Done && report.Phase is not DeployPhase.Seeding);
            if (!ended)
            {
                machine.Phase = report.Phase;
            }
            machine.BytesDone = report.BytesDone;
            machine.BytesTotal = report.BytesTotal;
            machine.RateIn = report.RateIn;
            machine.RateOut = report.RateOut;
            machine.Peers = report.Peers;
            machine.Message = report.Message;
            machine.LastSeen = _time.GetUtcNow();
        }
        Publish(DeploymentEventKind.MachineProgress, null, machine);
        return ApiOutcome<bool>.Ok(true);
    }

    /// <summary>
    /// Records done and flips the boot menu to local boot before answering: once the agent
    /// has the acknowledgement it may reboot without deploying again.
    /// </summary>
    public ApiOutcome<DoneResponse> Done(DoneReport report, Caller caller)
    {
        if (report.BytesFetched < 0 || report.BytesWritten < 0 || report.TotalSeconds < 0 || report.Reason is { Length: > 1024 })
        {
            return ApiOutcome<DoneResponse>.Fail(400, "invalid done values");
        }
        DeploymentRecord deployment;
        MachineRecord machine;
        lock (_lock)
        {
            var error = FindLocked(report.MachineId, report.DeploymentId, out var m, out var d);
            if (error is not null)
            {
                return ApiOutcome<DoneResponse>.Fail(404, error);
            }
            if (RefusedLocked(m!, caller, "done") is { } refused)
            {
                return ApiOutcome<DoneResponse>.Fail(refused.Status, refused.Error);
            }
            if (CancelledLocked(m!, d!) is { } gone)
            {
                return ApiOutcome<DoneResponse>.Fail(410, gone);
            }
            machine = m!;
            deployment = d!;
        }
        if (report.Ok)
        {
            try
            {
                WriteMenus(deployment, machine.Mac, deploy: false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                BootMenusLog.Failed(_logger, machine.Mac, e);
                return ApiOutcome<DoneResponse>.Fail(503, "cannot flip the boot menu; retry");
            }
        }
        var finished = false;
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            machine.Phase = report.Ok ? DeployPhase.Done : DeployPhase.Failed;
            machine.Message = report.Reason;
            machine.DoneAt = now;
            machine.LastSeen = now;
            var list = report.Ok ? deployment.Done : deployment.Failed;
            if (!list.Contains(machine.Mac))
            {
                list.Add(machine.Mac);
            }
            if (deployment.State == DeploymentState.Active && deployment.AllReported && !deployment.AllMachines)
            {
                deployment.State = DeploymentState.Finished;
                deployment.FinishedAt = now;
                finished = true;
            }
            SaveLocked(machine, deployment);
        }
        DeploymentsLog.MachineDone(_logger, machine.Mac, deployment.Id, report.Ok, report.Reason);
        Publish(DeploymentEventKind.MachineDone, deployment, machine, report);
        if (finished)
        {
            Finish(deployment, "deployment is over: every machine reported");
        }
        var status = SeedingFor(deployment, now);
        return ApiOutcome<DoneResponse>.Ok(new DoneResponse(true, report.Ok && status.KeepSeeding, status.SeedUntil));
    }

    public ApiOutcome<SeedingStatus> Seeding(string? deploymentId, string? machineId, Caller caller)
    {
        DeploymentRecord? deployment;
        lock (_lock)
        {
            var error = FindLocked(machineId, deploymentId, out var machine, out deployment);
            if (error is not null)
            {
                return ApiOutcome<SeedingStatus>.Fail(404, error);
            }
            if (RefusedLocked(machine!, caller, "seeding") is { } refused)
            {
                return ApiOutcome<SeedingStatus>.Fail(refused.Status, refused.Error);
            }
        }
        return ApiOutcome<SeedingStatus>.Ok(SeedingFor(deployment!, _time.GetUtcNow()));
    }

    private SeedingStatus SeedingFor(DeploymentRecord d, DateTimeOffset now)
    {
        lock (_lock)
        {
            DateTimeOffset? until = d.Seeding.MaxMinutes > 0 && d.FinishedAt is null ? now.AddMinutes(d.Seeding.MaxMinutes) : null;
            var pending = d.Machines.Count(m => !d.Done.Contains(m) && !d.Failed.Contains(m));
            var (keep, reason) = d switch
            {
                { IsOpen: false } => (false, "deployment is over"),
                { Seeding.MaxMinutes: 0 } => (false, "policy: no seeding after done"),
                { Seeding.UntilAllDone: false } => (true, "policy: seed for the maximum time"),
                _ when pending > 0 => (true, $"{pending} machines still deploying"),
                _ => (false, "every machine is done"),
            };
            return new SeedingStatus(d.Id, keep, reason, d.Done.Count, d.Machines.Count, until);
        }
    }

    private JobResponse JobFor(MachineRecord machine)
    {
        DeploymentRecord? deployment;
        string? hostname;
        string? secret;
        var joined = false;
        lock (_lock)
        {
            if (machine.Conflict is not null)
            {
                return new JobResponse(null, Paused(machine));
            }
            deployment = _state.Deployments.FirstOrDefault(d => d.State == DeploymentState.Active && d.Machines.Contains(machine.Mac)
                && !d.Done.Contains(machine.Mac) && !d.Failed.Contains(machine.Mac));
            if (deployment is null)
            {
                deployment = _state.Deployments.FirstOrDefault(d => d.State == DeploymentState.Active && d.AllMachines
                    && !d.Machines.Contains(machine.Mac));
                if (deployment is not null)
                {
                    deployment.Machines.Add(machine.Mac);
                    joined = true;
                }
            }
            if (deployment is null)
            {
                var wasDone = _state.Deployments.Any(d => d.Done.Contains(machine.Mac));
                return new JobResponse(null, new WaitInstruction(wasDone ? "already deployed; no new deployment for this machine" : "no deployment for this machine", WaitSeconds));
            }
            machine.DeploymentId = deployment.Id;
            hostname = deployment.HostnameFor(machine.Mac);
            secret = machine.Secret;
            SaveLocked(machine, joined ? deployment : null);
        }
        if (joined)
        {
            WriteMenus(deployment, machine.Mac, deploy: true);
        }
        var job = new Job(deployment.Id, machine.Mac, deployment.Image, ServerUrl + ApiRoutes.TorrentPath(deployment.Image),
            deployment.InfoHash, deployment.ImageSizeBytes, deployment.TargetDisk, deployment.PartitionTable, deployment.After,
            deployment.Seeding, new PostSteps(hostname, deployment.GrowLastPartition),
            deployment.VerifyAfterWrite, _time.GetUtcNow(), secret)
        {
            Disks = deployment.Disks,
            DiskMapping = deployment.DiskMapping,
            Trackers = _trackers,
            Resize = deployment.Resize,
        };
        if (_signingKey is not null)
        {
            job = JobSigner.Sign(job, _signingKey);
        }
        DeploymentsLog.JobIssued(_logger, machine.Mac, deployment.Id);
        return new JobResponse(job, null);
    }

    /// <summary>
    /// Why a machine must stop working on this deployment (an admin cancelled it before the
    /// machine was done), or null. Asked only after the secret matched: only that machine learns
    /// it, and its agent stops writing and does not reboot into the half-written disk.
    /// </summary>
    private static string? CancelledLocked(MachineRecord machine, DeploymentRecord deployment) =>
        deployment.State == DeploymentState.Cancelled && !deployment.Done.Contains(machine.Mac)
            ? $"deployment {deployment.Id} was cancelled by an admin; stop writing and do not reboot into the disk"
            : null;

    private string? FindLocked(string? machineId, string? deploymentId, out MachineRecord? machine, out DeploymentRecord? deployment)
    {
        machine = MachineByIdLocked(machineId);
        deployment = _state.Deployments.FirstOrDefault(d => d.Id == deploymentId);
        if (machine is null)
        {
            return "unknown machine; register first";
        }
        if (deployment is null)
        {
            return "unknown deployment";
        }
        return deployment.Machines.Contains(machine.Mac) ? null : "machine is not part of this deployment";
    }

    /// <summary>Machine ids are "m-" and the MAC's 12 hex digits, so the id finds the MAC.</summary>
    private MachineRecord? MachineByIdLocked(string? machineId)
    {
        if (machineId is not { Length: 14 } || !machineId.StartsWith("m-", StringComparison.Ordinal))
        {
            return null;
        }
        var mac = string.Create(17, machineId, (span, id) =>
        {
            for (var i = 0; i < 6; i++)
            {
                span[i * 3] = id[2 + i * 2];
                span[i * 3 + 1] = id[3 + i * 2];
                if (i < 5)
                {
                    span[i * 3 + 2] = ':';
                }
            }
        });
        return _machines.GetValueOrDefault(mac) is { } machine && machine.MachineId == machineId ? machine : null;
    }

    /// <summary>
    /// A record for a new MAC. At the cap, the machine seen longest ago that no open deployment
    /// names makes room; null when every known machine belongs to an open deployment.
    /// </summary>
    private MachineRecord? AddMachineLocked(string mac)
    {
        if (_machines.Count >= _maxMachines)
        {
            var members = _state.Deployments.Where(d => d.IsOpen).SelectMany(d => d.Machines).ToHashSet(StringComparer.Ordinal);
            var oldest = _machines.Values.Where(m => !members.Contains(m.Mac)).MinBy(m => m.LastSeen);
            if (oldest is null)
            {
                return null;
            }
            _machines.Remove(oldest.Mac);
            try
            {
                _store.DeleteMachine(oldest.Mac);
            }
            catch (Microsoft.Data.Sqlite.SqliteException e)
            {
                DeploymentsLog.SaveFailed(_logger, e);
            }
        }
        var machine = new MachineRecord { MachineId = "m-" + mac.Replace(":", "", StringComparison.Ordinal), Mac = mac };
        _machines[mac] = machine;
        return machine;
    }

    /// <summary>The active deployment this MAC still has to deploy, if any (for the iPXE script).</summary>
    public DeploymentRecord? PendingDeployment(string mac)
    {
        lock (_lock)
        {
            return _state.Deployments.FirstOrDefault(d => d.State == DeploymentState.Active && d.Machines.Contains(mac)
                && !d.Done.Contains(mac) && !d.Failed.Contains(mac));
        }
    }

    private static bool TooLong(string? text) => text is { Length: > MaxText };
}
