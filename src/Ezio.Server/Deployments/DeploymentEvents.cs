using System.Threading.Channels;
using Ezio.Deployment.Contracts;

namespace Ezio.Server.Deployments;

internal enum DeploymentEventKind
{
    DeploymentCreated,
    DeploymentChanged,
    MachineRegistered,
    MachineProgress,
    MachineDone,
    MachineConflict,
    MachineReleased,
}

/// <summary>One change, with snapshots (never the live records); <see cref="Report"/> only on MachineDone.</summary>
internal sealed record DeploymentEvent(DeploymentEventKind Kind, DateTimeOffset At, DeploymentInfo? Deployment, MachineInfo? Machine, DoneReport? Report = null);

/// <summary>
/// Stream of machine/deployment changes for the dashboard, metrics and history. Each subscriber
/// gets its own bounded channel; a slow subscriber loses its oldest events, never blocks the API.
/// </summary>
internal interface IDeploymentEvents
{
    ChannelReader<DeploymentEvent> Subscribe(CancellationToken cancellationToken);
}

internal sealed class DeploymentEventHub : IDeploymentEvents
{
    private readonly Lock _lock = new();
    private readonly List<Channel<DeploymentEvent>> _subscribers = [];

    public ChannelReader<DeploymentEvent> Subscribe(CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<DeploymentEvent>(new BoundedChannelOptions(1024)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        lock (_lock)
        {
            _subscribers.Add(channel);
        }
        cancellationToken.Register(() =>
        {
            lock (_lock)
            {
                _subscribers.Remove(channel);
            }
            channel.Writer.TryComplete();
        });
        return channel.Reader;
    }

    public void Publish(DeploymentEvent change)
    {
        lock (_lock)
        {
            foreach (var subscriber in _subscribers)
            {
                subscriber.Writer.TryWrite(change);
            }
        }
    }
}
