using System.Net;

namespace Ezio.Server.Deployments;

internal sealed partial class DeploymentManager
{
    /// <summary>
    /// Whether <paramref name="address"/> is the address recorded at registration for a machine
    /// of an open deployment of <paramref name="infoHash"/>: the tracker counts completions and
    /// lists peers first only for these.
    /// </summary>
    public bool IsSwarmMember(string infoHash, IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        lock (_lock)
        {
            foreach (var machine in _machines.Values)
            {
                if (machine.Ip is { } ip && IPAddress.TryParse(ip, out var recorded) && recorded.Equals(address)
                    && _state.Deployments.Any(d => d.IsOpen && d.InfoHash == infoHash && d.Machines.Contains(machine.Mac)))
                {
                    return true;
                }
            }
        }
        return false;
    }
}
