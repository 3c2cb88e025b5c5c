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
            // Per announce: walk the machines of this image's open deployments, not every machine known.
            foreach (var deployment in _state.Deployments)
            {
                if (!deployment.IsOpen || deployment.InfoHash != infoHash)
                {
                    continue;
                }
                foreach (var mac in deployment.Machines)
                {
                    if (_machines.TryGetValue(mac, out var machine) && machine.Ip is { } ip
                        && IPAddress.TryParse(ip, out var recorded) && recorded.Equals(address))
                    {
                        return true;
                    }
                }
            }
        }
        return false;
    }
}
