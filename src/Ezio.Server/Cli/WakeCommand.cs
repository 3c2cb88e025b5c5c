using System.Net;
using System.Net.Sockets;
using Ezio.Deployment.Contracts;

namespace Ezio.Server.Cli;

/// <summary>Wake-on-LAN: a magic packet (6 × 0xFF, then the MAC 16 times) to UDP port 9.</summary>
internal static class WakeCommand
{
    public const string Usage = "ezio-server wake <MAC,MAC,...|FILE> --broadcast <IPv4 broadcast address> [--port 9]";

    public static async Task<int> RunAsync(string[] args)
    {
        var cl = Options.Parse(args, ["--broadcast", "--port"]);
        // Sending broadcasts is opt-in: the operator names the subnet's broadcast address.
        if (cl.Positionals.Count != 1 || cl.Value("--broadcast") is not { } broadcastText || !IPAddress.TryParse(broadcastText, out var broadcast))
        {
            throw new UsageException(Usage);
        }
        var port = cl.Int("--port", 9, 1, 65535);
        var macs = AdminCommands.ParseMachines(cl.Positionals[0]);
        using var socket = new Socket(broadcast.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { EnableBroadcast = true };
        foreach (var mac in macs)
        {
            await socket.SendToAsync(MagicPacket(mac), new IPEndPoint(broadcast, port)).ConfigureAwait(false);
            Console.WriteLine($"woke {mac} via {broadcast}:{port}");
        }
        return 0;
    }

    internal static byte[] MagicPacket(string mac)
    {
        if (!MacAddress.TryNormalize(mac, out var normalized))
        {
            throw new UsageException($"not a MAC address: '{mac}'");
        }
        var address = Convert.FromHexString(normalized.Replace(":", "", StringComparison.Ordinal));
        var packet = new byte[6 + 16 * 6];
        packet.AsSpan(0, 6).Fill(0xff);
        for (var i = 0; i < 16; i++)
        {
            address.CopyTo(packet, 6 + i * 6);
        }
        return packet;
    }
}
