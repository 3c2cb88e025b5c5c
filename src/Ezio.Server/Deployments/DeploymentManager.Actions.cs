using Ezio.Deployment.Contracts;

namespace Ezio.Server.Deployments;

/// <summary>
/// The admin's actions on a running room (dashboard and CLI alike): cancel a deployment, retry
/// one failed machine, and put a replacement machine in the place of one that is gone.
/// </summary>
internal sealed partial class DeploymentManager
{
    /// <summary>
    /// Ends an open deployment now: its machines that have not finished boot from their disk
    /// again (no half-written disk gets a second start by surprise), the seeder and tracker stop.
    /// </summary>
    public ApiOutcome<DeploymentInfo> Cancel(string? id)
    {
        DeploymentRecord? record;
        List<string> pending;
        lock (_lock)
        {
            record = _state.Deployments.FirstOrDefault(d => d.Id == id);
            if (record is null)
            {
                return ApiOutcome<DeploymentInfo>.Fail(404, $"no deployment '{Truncate(id)}'");
            }
            if (!record.IsOpen)
            {
                return ApiOutcome<DeploymentInfo>.Fail(409, $"{record.Id} is already {record.State.ToString().ToLowerInvariant()}");
            }
            record.State = DeploymentState.Cancelled;
            record.FinishedAt = _time.GetUtcNow();
            pending = record.Machines.Where(m => !record.Done.Contains(m)).ToList();
            SaveLocked(deployment: record);
        }
        foreach (var mac in pending)
        {
            TryWriteMenus(record, mac, deploy: false);
        }
        Finish(record, "deployment cancelled by an admin");
        lock (_lock)
        {
            return ApiOutcome<DeploymentInfo>.Ok(record.ToInfo());
        }
    }

    /// <summary>
    /// Gives a failed machine of a deployment its job again: it leaves the failed list, its
    /// boot menu deploys again, and a deployment that had ended with that failure opens again
    /// (seeder and tracker with it).
    /// </summary>
    public ApiOutcome<MachineInfo> Retry(string? id, string? macText)
    {
        if (!MacAddress.TryNormalize(macText, out var mac))
        {
            return ApiOutcome<MachineInfo>.Fail(400, "expected a MAC address aa:bb:cc:dd:ee:ff");
        }
        DeploymentRecord? record;
        MachineRecord? machine;
        var reopened = false;
        lock (_lock)
        {
            record = _state.Deployments.FirstOrDefault(d => d.Id == id);
            if (record is null)
            {
                return ApiOutcome<MachineInfo>.Fail(404, $"no deployment '{Truncate(id)}'");
            }
            if (record.State == DeploymentState.Cancelled)
            {
                return ApiOutcome<MachineInfo>.Fail(409, $"{record.Id} was cancelled; start a new deployment");
            }
            if (!record.Failed.Contains(mac))
            {
                return ApiOutcome<MachineInfo>.Fail(409, $"{mac} has not failed in {record.Id}");
            }
            var busy = _state.Deployments.FirstOrDefault(d => d != record && d.IsOpen && d.Machines.Contains(mac) && !d.Done.Contains(mac) && !d.Failed.Contains(mac));
            if (busy is not null)
            {
                return ApiOutcome<MachineInfo>.Fail(409, $"{mac} is already in the open deployment {busy.Id}");
            }
            record.Failed.Remove(mac);
            if (!record.IsOpen)
            {
                record.State = DeploymentState.Active;
                record.FinishedAt = null;
                reopened = true;
            }
            machine = _machines.GetValueOrDefault(mac);
            if (machine is not null)
            {
                machine.Phase = DeployPhase.Registered;
                machine.Message = "retry requested by an admin";
                machine.BytesDone = 0;
                machine.RateIn = machine.RateOut = 0;
                machine.DeploymentId = record.Id;
            }
            SaveLocked(machine, record);
        }
        TryWriteMenus(record, mac, deploy: true);
        DeploymentActionsLog.Retried(_logger, mac, record.Id);
        if (reopened)
        {
            DeploymentOpened?.Invoke(record);
        }
        Publish(DeploymentEventKind.DeploymentChanged, record, machine);
        lock (_lock)
        {
            return ApiOutcome<MachineInfo>.Ok(machine?.ToInfo() ?? new MachineInfo("", mac, null, null, record.Id, DeployPhase.Registered, 0, 0, 0, 0, 0, null, default, []));
        }
    }

    /// <summary>
    /// A machine is gone for good (broken, swapped): it leaves every open deployment it had not
    /// finished and is forgotten. With <paramref name="newMacText"/>, the replacement takes its
    /// place (same position, so the same {index} hostname, and the same named hostname).
    /// </summary>
    public ApiOutcome<IReadOnlyList<DeploymentInfo>> Replace(string? macText, string? newMacText)
    {
        if (!MacAddress.TryNormalize(macText, out var mac))
        {
            return ApiOutcome<IReadOnlyList<DeploymentInfo>>.Fail(400, "expected a MAC address aa:bb:cc:dd:ee:ff");
        }
        string? newMac = null;
        if (!string.IsNullOrEmpty(newMacText) && !MacAddress.TryNormalize(newMacText, out newMac))
        {
            return ApiOutcome<IReadOnlyList<DeploymentInfo>>.Fail(400, $"replacement: not a MAC address: '{Truncate(newMacText)}'");
        }
        if (newMac == mac)
        {
            return ApiOutcome<IReadOnlyList<DeploymentInfo>>.Fail(400, "the replacement has the same MAC");
        }
        List<DeploymentRecord> changed;
        lock (_lock)
        {
            if (!_machines.ContainsKey(mac) && !_state.Deployments.Any(d => d.IsOpen && d.Machines.Contains(mac)))
            {
                return ApiOutcome<IReadOnlyList<DeploymentInfo>>.Fail(404, $"no machine {mac}");
            }
            if (newMac is not null && _state.Deployments.FirstOrDefault(d => d.IsOpen && d.Machines.Contains(newMac)) is { } taken)
            {
                return ApiOutcome<IReadOnlyList<DeploymentInfo>>.Fail(409, $"{newMac} is already in the open deployment {taken.Id}");
            }
            changed = _state.Deployments.Where(d => d.IsOpen && d.Machines.Contains(mac) && !d.Done.Contains(mac)).ToList();
            foreach (var d in changed)
            {
                var index = d.Machines.IndexOf(mac);
                d.Failed.Remove(mac);
                if (newMac is null)
                {
                    d.Machines.RemoveAt(index);
                }
                else
                {
                    d.Machines[index] = newMac;
                }
                if (d.Hostnames.Remove(mac, out var name) && newMac is not null)
                {
                    d.Hostnames[newMac] = name;
                }
                SaveLocked(deployment: d);
            }
            if (_machines.Remove(mac))
            {
                try
                {
                    _store.DeleteMachine(mac);
                }
                catch (Microsoft.Data.Sqlite.SqliteException e)
                {
                    DeploymentsLog.SaveFailed(_logger, e);
                }
            }
        }
        foreach (var d in changed)
        {
            TryWriteMenus(d, mac, deploy: false);
            if (newMac is not null)
            {
                TryWriteMenus(d, newMac, deploy: true);
            }
        }
        DeploymentActionsLog.Replaced(_logger, mac, newMac ?? "nothing");
        var finished = new List<DeploymentRecord>();
        lock (_lock)
        {
            // Without a replacement, the gone machine may have been the last one the deployment waited for.
            foreach (var d in changed.Where(d => d.State == DeploymentState.Active && !d.AllMachines && (d.Machines.Count == 0 || d.AllReported)))
            {
                d.State = DeploymentState.Finished;
                d.FinishedAt = _time.GetUtcNow();
                SaveLocked(deployment: d);
                finished.Add(d);
            }
        }
        foreach (var d in changed)
        {
            if (finished.Contains(d))
            {
                Finish(d, "deployment is over: every machine reported");
            }
            else
            {
                Publish(DeploymentEventKind.DeploymentChanged, d, null);
            }
        }
        lock (_lock)
        {
            return ApiOutcome<IReadOnlyList<DeploymentInfo>>.Ok(changed.Select(d => d.ToInfo()).ToList());
        }
    }

    /// <summary>The deployment with this id, as the API shows it; null when unknown.</summary>
    public DeploymentInfo? FindDeployment(string id)
    {
        lock (_lock)
        {
            return _state.Deployments.FirstOrDefault(d => d.Id == id)?.ToInfo();
        }
    }

    /// <summary>The image size of the deployment with this id; 0 when unknown.</summary>
    public long DeploymentSize(string id)
    {
        lock (_lock)
        {
            return _state.Deployments.FirstOrDefault(d => d.Id == id)?.ImageSizeBytes ?? 0;
        }
    }

    private void TryWriteMenus(DeploymentRecord record, string mac, bool deploy)
    {
        try
        {
            WriteMenus(record, mac, deploy);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            BootMenus.BootMenusLog.Failed(_logger, mac, e);
        }
    }
}
