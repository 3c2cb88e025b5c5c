using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Ezio.Deployment.Contracts;

namespace Ezio.Server.Deployments;

/// <summary>Who made an agent call: the socket's address and the secret the call carried.</summary>
internal readonly record struct Caller(string? Address, string? Secret);

/// <summary>A refused agent call: 401 for a missing or wrong secret, 409 for a paused machine.</summary>
internal readonly record struct Refusal(int Status, string Error);

/// <summary>
/// A machine speaks only for itself. Each registration gets a random secret (also carried by
/// the signed job); every later call must present it. Once a machine holds the job of an open
/// deployment, a registration of its MAC from another address is a conflict: the machine is
/// paused (no job, no reports) until an admin releases it.
/// </summary>
internal sealed partial class DeploymentManager
{
    /// <summary>Clears a conflict and forgets the secret: the next registration, from any address, starts afresh.</summary>
    public ApiOutcome<MachineInfo> Release(string? macText)
    {
        if (!MacAddress.TryNormalize(macText, out var mac))
        {
            return ApiOutcome<MachineInfo>.Fail(400, "expected a MAC address aa:bb:cc:dd:ee:ff");
        }
        MachineRecord? machine;
        lock (_lock)
        {
            machine = _machines.GetValueOrDefault(mac);
            if (machine is null)
            {
                return ApiOutcome<MachineInfo>.Fail(404, $"no machine {mac}");
            }
            machine.Conflict = null;
            machine.Secret = null;
            machine.SecretAddress = null;
            SaveLocked(machine);
        }
        DeploymentsLog.Released(_logger, mac);
        Publish(DeploymentEventKind.MachineReleased, null, machine);
        lock (_lock)
        {
            return ApiOutcome<MachineInfo>.Ok(machine.ToInfo());
        }
    }

    /// <summary>The open deployment whose job this machine was handed, if any.</summary>
    private DeploymentRecord? HeldDeploymentLocked(MachineRecord machine) =>
        machine.DeploymentId is { } id
            ? _state.Deployments.FirstOrDefault(d => d.Id == id && d.IsOpen && d.Machines.Contains(machine.Mac))
            : null;

    /// <summary>Null when <paramref name="caller"/> may speak for <paramref name="machine"/>.</summary>
    private Refusal? RefusedLocked(MachineRecord machine, Caller caller, string call)
    {
        Refusal? refusal = null;
        if (!SecretMatches(machine.Secret, caller.Secret))
        {
            refusal = new Refusal(401, $"machine secret missing or wrong ({ApiRoutes.MachineSecretHeader}); register first");
        }
        else if (machine.Conflict is not null)
        {
            refusal = new Refusal(409, PausedReason(machine));
        }
        if (refusal is { } r)
        {
            DeploymentsLog.Refused(_logger, machine.Mac, call, caller.Address, r.Error);
        }
        return refusal;
    }

    private static WaitInstruction Paused(MachineRecord machine) => new(PausedReason(machine), WaitSeconds);

    private static string PausedReason(MachineRecord machine) =>
        $"paused: {machine.Conflict} registered this machine too; an admin must run `ezio-server release {machine.Mac}`";

    /// <summary>Constant-time comparison; no secret on record matches nothing.</summary>
    private static bool SecretMatches(string? expected, string? given) =>
        expected is not null && given is not null
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(given));

    /// <summary>256 random bits, base64url (header-safe).</summary>
    private static string NewSecret() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
}
