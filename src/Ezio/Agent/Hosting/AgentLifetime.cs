using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;

namespace Ezio.Agent.Hosting;

/// <summary>
/// Replaces SystemdLifetime/ConsoleLifetime: those send READY=1 as soon as the host starts,
/// but the agent is ready only once the server knows it (AgentRunner sends READY=1 then).
/// This lifetime turns SIGTERM/SIGINT into a graceful stop and sends STOPPING=1.
/// </summary>
internal sealed class AgentLifetime(IHostApplicationLifetime application, ISystemdNotifier notifier) : IHostLifetime, IDisposable
{
    private readonly List<PosixSignalRegistration> _signals = [];
    private CancellationTokenRegistration _stopping;
    private int _stoppingSent;

    public Task WaitForStartAsync(CancellationToken cancellationToken)
    {
        _stopping = application.ApplicationStopping.Register(SendStopping);
        foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGQUIT })
        {
            _signals.Add(PosixSignalRegistration.Create(signal, OnSignal));
        }
        return Task.CompletedTask;
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        SendStopping();
        application.StopApplication();
    }

    private void SendStopping()
    {
        if (Interlocked.Exchange(ref _stoppingSent, 1) == 0)
        {
            notifier.Notify(ServiceState.Stopping);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        _stopping.Dispose();
        foreach (var signal in _signals)
        {
            signal.Dispose();
        }
    }
}
