using System.Net;
using System.Net.Sockets;
using Ezio.Server.Cli;
using Ezio.TestKit.Net;
using Xunit;

namespace Ezio.Server.Tests.Cli;

public sealed class WakeCommandTests
{
    [Fact]
    public async Task Wake_Loopback_SendsMagicPacket()
    {
        using var receiver = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)receiver.Client.LocalEndPoint!).Port;
        var rc = await WakeCommand.RunAsync(["52-54-00-ab-cd-ef", "--broadcast", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.Equal(0, rc);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var packet = (await receiver.ReceiveAsync(timeout.Token)).Buffer;
        Assert.Equal(102, packet.Length);
        Assert.All(packet[..6], b => Assert.Equal(0xff, b));
        Assert.Equal(new byte[] { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef }, packet[96..102]);
    }

    [Fact]
    public async Task Wake_NoBroadcastOption_UsageError()
    {
        await Assert.ThrowsAsync<UsageException>(() => WakeCommand.RunAsync(["52:54:00:ab:cd:ef"]));
    }

    [Fact]
    public async Task Deploy_NoServerListening_ExitsWithAnErrorInsteadOfCrashing()
    {
        // A port that was free a moment ago: nothing answers there.
        var port = FreePort.Next();
        var error = new StringWriter();
        var saved = Console.Error;
        Console.SetError(error);
        int rc;
        try
        {
            rc = await Program.Main(["deploy", "lab", "--machines", "52:54:00:00:00:01", "--server", $"http://127.0.0.1:{port}"]);
        }
        finally
        {
            Console.SetError(saved);
        }
        Assert.Equal(1, rc);
        Assert.Contains("cannot reach the server", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ParseMachines_File_ReadsMacsAndComments()
    {
        var file = Path.GetTempFileName();
        File.WriteAllText(file, "# lab\n52:54:00:00:00:01\n52-54-00-00-00-02, 52:54:00:00:00:03 # spare\n");
        Assert.Equal(["52:54:00:00:00:01", "52:54:00:00:00:02", "52:54:00:00:00:03"], AdminCommands.ParseMachines(file));
        Assert.Throws<UsageException>(() => AdminCommands.ParseMachines("bogus"));
    }
}
