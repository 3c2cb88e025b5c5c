using System.Security.Cryptography;
using Ezio.Deployment.Contracts;
using Ezio.Deployment.Signing;
using Ezio.Server.BootMenus;
using Ezio.Server.Hosting;
using Ezio.Server.Images;

namespace Ezio.Server.Deployments;

/// <summary>Outcome of an API call: a value, or an HTTP status with a message.</summary>
internal readonly record struct ApiOutcome<T>(T? Value, int Status, string? Error)
{
    public static ApiOutcome<T> Ok(T value) => new(value, 200, null);

    public static ApiOutcome<T> Fail(int status, string error) => new(default, status, error);
}

/// <summary>
/// Owns deployments and machines: one lock, every mutation persisted to the state file and
/// published on <see cref="IDeploymentEvents"/>. The tracker and the seeder follow it through
/// <see cref="DeploymentOpened"/> / <see cref="DeploymentClosed"/>.
/// </summary>
internal sealed partial class DeploymentManager
{
    public const int WaitSeconds = 15;
    private readonly Lock _lock = new();
    private readonly ServerState _state;
    private readonly StateStore _store;
    private readonly IImageCatalog _images;
    private readonly BootMenuWriter _menus;
    private readonly DeploymentEventHub _events;
    private readonly TimeProvider _time;
    private readonly ECDsa? _signingKey;
    private readonly ILogger<DeploymentManager> _logger;

    /// <summary>Every known machine by MAC (the state's list is only what the store loads).</summary>
    private readonly Dictionary<string, MachineRecord> _machines = new(StringComparer.Ordinal);
    private readonly NewMachineLimiter _newMachines;
    private readonly int _maxMachines;
    private readonly string[]? _trackers;

    public DeploymentManager(StateStore store, IImageCatalog images, BootMenuWriter menus, DeploymentEventHub events,
        TimeProvider time, ServerOptions options, ILogger<DeploymentManager> logger)
    {
        _store = store;
        _images = images;
        _menus = menus;
        _events = events;
        _time = time;
        _logger = logger;
        _signingKey = options.SigningKeyPem is { } pem ? JobSigner.LoadPrivateKey(pem) : null;
        ServerUrl = options.Menus.ServerUrl.TrimEnd('/');
        _trackers = options.Trackers.Count > 0 ? [.. options.Trackers] : null;
        _state = store.Load();
        foreach (var machine in _state.Machines)
        {
            _machines[machine.Mac] = machine;
        }
        _state.Machines.Clear();
        _newMachines = new NewMachineLimiter(time, options.NewMachinesPerMinute);
        _maxMachines = options.MaxMachines;
    }

    public string ServerUrl { get; }

    /// <summary>A deployment needs its tracker rules and seeder (at start for restored ones, then on create).</summary>
    public event Action<DeploymentRecord>? DeploymentOpened;

    /// <summary>A deployment is over: stop seeding its image (unless another deployment uses it) and close its swarm.</summary>
    public event Action<DeploymentRecord, string>? DeploymentClosed;

    public IReadOnlyList<DeploymentRecord> OpenDeployments()
    {
        lock (_lock)
        {
            return _state.Deployments.Where(d => d.IsOpen).ToList();
        }
    }

    public IReadOnlyList<DeploymentInfo> ListDeployments()
    {
        lock (_lock)
        {
            return _state.Deployments.Select(d => d.ToInfo()).ToList();
        }
    }

    public IReadOnlyList<MachineInfo> ListMachines()
    {
        lock (_lock)
        {
            return _machines.Values.Select(m => m.ToInfo()).ToList();
        }
    }

    public ApiOutcome<DeploymentInfo> Create(CreateDeploymentRequest request)
    {
        if (!DirectoryImageCatalog.IsValidName(request.Image) || !_images.TryGet(request.Image, out var image))
        {
            return ApiOutcome<DeploymentInfo>.Fail(404, $"no image '{request.Image}' in the repository");
        }
        if (request.Machines is null || request.Machines.Count is 0 or > 10000)
        {
            return ApiOutcome<DeploymentInfo>.Fail(400, "machines: give 1-10000 MAC addresses or [\"all\"]");
        }
        var all = request.Machines is ["all"];
        var macs = new List<string>();
        if (!all)
        {
            foreach (var text in request.Machines)
            {
                if (!MacAddress.TryNormalize(text, out var mac))
                {
                    return ApiOutcome<DeploymentInfo>.Fail(400, $"not a MAC address: '{Truncate(text)}'");
                }
                if (!macs.Contains(mac))
                {
                    macs.Add(mac);
                }
            }
        }
        var hostnames = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, name) in request.Hostnames ?? new Dictionary<string, string>())
        {
            if (!MacAddress.TryNormalize(key, out var mac) || !IsValidHostname(name))
            {
                return ApiOutcome<DeploymentInfo>.Fail(400, $"bad hostname entry '{Truncate(key)}'");
            }
            hostnames[mac] = name;
        }
        if (request.HostnameTemplate is { } template && (template.Length > 63 || !HostnameTemplate.IsUsable(template)))
        {
            return ApiOutcome<DeploymentInfo>.Fail(400, $"hostnameTemplate: '{Truncate(template)}' does not make a valid hostname (placeholders: {{mac}}, {{mac6}}, {{index}}, {{index:N}})");
        }
        if (request.TargetDisk is { Kind: not TargetDiskKind.Auto, Value: null or "" })
        {
            return ApiOutcome<DeploymentInfo>.Fail(400, "targetDisk: by-path and serial need a value");
        }
        if (MultiDiskJobs.Refusal(image.Disks, request) is { } multiDisk)
        {
            return ApiOutcome<DeploymentInfo>.Fail(400, multiDisk);
        }
        if (ResizeJobs.Refusal(image, request) is { } resize)
        {
            return ApiOutcome<DeploymentInfo>.Fail(400, resize);
        }
        if (request.StopAfterCompleted < -1 || request.TimeoutMinutes < 0 || request.Seeding is { MaxMinutes: < 0 })
        {
            return ApiOutcome<DeploymentInfo>.Fail(400, "negative limits");
        }
        DeploymentRecord record;
        lock (_lock)
        {
            var busy = macs.FirstOrDefault(m => _state.Deployments.Any(d => d.IsOpen && d.Machines.Contains(m) && !d.Done.Contains(m) && !d.Failed.Contains(m)));
            if (busy is not null)
            {
                return ApiOutcome<DeploymentInfo>.Fail(409, $"{busy} is already in an open deployment");
            }
            var now = _time.GetUtcNow();
            record = new DeploymentRecord
            {
                Id = $"d{now:yyyyMMdd}-{_state.NextDeployment++}",
                Image = image.Name,
                InfoHash = image.Torrent.InfoHash.ToString(),
                ImageSizeBytes = image.SizeBytes,
                PartitionTable = image.PartitionTable,
                Disks = MultiDiskJobs.WithSerials(image.Disks, request.DiskSerials),
                DiskMapping = request.DiskMapping,
                Resize = ResizeJobs.For(image, request),
                State = DeploymentState.Active,
                After = request.After,
                TargetDisk = request.TargetDisk ?? new TargetDiskRule(TargetDiskKind.Auto, null),
                Seeding = request.Seeding ?? new SeedingPolicy(true, 60),
                GrowLastPartition = request.GrowLastPartition,
                VerifyAfterWrite = request.VerifyAfterWrite,
                Hostnames = hostnames,
                HostnameTemplate = request.HostnameTemplate,
                AllMachines = all,
                Machines = macs,
                StopAfterCompleted = request.StopAfterCompleted == 0 && !all ? macs.Count : Math.Max(0, request.StopAfterCompleted),
                TimeoutMinutes = request.TimeoutMinutes,
                CreatedAt = now,
            };
            _state.Deployments.Add(record);
            SaveLocked(deployment: record);
        }
        foreach (var mac in macs)
        {
            WriteMenus(record, mac, deploy: true);
        }
        DeploymentsLog.Created(_logger, record.Id, record.Image, all ? "all" : string.Join(' ', macs));
        DeploymentOpened?.Invoke(record);
        Publish(DeploymentEventKind.DeploymentCreated, record, null);
        return ApiOutcome<DeploymentInfo>.Ok(record.ToInfo());
    }

    /// <summary>Closes deployments whose timeout passed; the server calls this every few seconds.</summary>
    public void Tick()
    {
        var now = _time.GetUtcNow();
        List<DeploymentRecord> expired;
        lock (_lock)
        {
            expired = _state.Deployments.Where(d => d.IsOpen && d.TimeoutMinutes > 0 && now >= d.CreatedAt.AddMinutes(d.TimeoutMinutes)).ToList();
            foreach (var d in expired)
            {
                d.State = DeploymentState.Finished;
                d.FinishedAt = now;
                SaveLocked(deployment: d);
            }
        }
        foreach (var d in expired)
        {
            Finish(d, "deployment is over: time limit reached");
        }
    }

    /// <summary>The tracker saw the deployment's last completion (or its deadline).</summary>
    public void OnSwarmClosed(string infoHash, string reason)
    {
        lock (_lock)
        {
            foreach (var d in _state.Deployments.Where(d => d.IsOpen && d.InfoHash == infoHash))
            {
                d.Completed = Math.Max(d.Completed, d.StopAfterCompleted);
            }
        }
        _ = reason;
    }

    private void Finish(DeploymentRecord record, string reason)
    {
        DeploymentsLog.StateChanged(_logger, record.Id, record.State);
        DeploymentClosed?.Invoke(record, reason);
        Publish(DeploymentEventKind.DeploymentChanged, record, null);
    }

    private void WriteMenus(DeploymentRecord record, string mac, bool deploy)
    {
        var target = new MenuTarget(mac, record.Image, record.Id, record.After);
        if (deploy)
        {
            _menus.WriteDeploy(target);
        }
        else
        {
            _menus.WriteLocal(target);
        }
    }

    /// <summary>Writes the rows that changed (one machine, one deployment): never the whole state.</summary>
    private void SaveLocked(MachineRecord? machine = null, DeploymentRecord? deployment = null)
    {
        try
        {
            if (deployment is not null)
            {
                _store.SaveDeployment(deployment, _state.NextDeployment);
            }
            if (machine is not null)
            {
                _store.SaveMachine(machine);
            }
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or IOException or UnauthorizedAccessException)
        {
            DeploymentsLog.SaveFailed(_logger, e);
        }
    }

    private void Publish(DeploymentEventKind kind, DeploymentRecord? deployment, MachineRecord? machine, DoneReport? report = null)
    {
        DeploymentInfo? d;
        MachineInfo? m;
        lock (_lock)
        {
            d = deployment?.ToInfo();
            m = machine?.ToInfo();
        }
        _events.Publish(new DeploymentEvent(kind, _time.GetUtcNow(), d, m, report));
    }

    private static bool IsValidHostname(string? name) =>
        !string.IsNullOrEmpty(name) && name.Length <= 63 && name[0] != '-' && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');

    private static string Truncate(string? text) => text is null ? "" : text.Length <= 40 ? text : text[..40] + "…";
}
