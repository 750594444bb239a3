// The Kubernetes events of the sandbox's Pod and Service, newest last, full width; long
// messages wrap inside their cell (never past the window).
import type { EventView } from '../../../../app/desk/views.js';
import { SmallTable } from '../../components/common.js';

export function EventsTab({ events }: { events: EventView[] | undefined }) {
  if (!events) return <p className="muted">Loading…</p>;
  if (!events.length) return <p className="muted">No events (the cluster keeps them for an hour).</p>;
  return (
    <section className="card events" aria-label="Events">
      <SmallTable columns={['When', 'Object', 'Type', 'Reason', 'Message']} className="wrap-cells events-table">
        {events.map((e, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: events have no stable id here
          <tr key={i} className={e.type === 'Warning' ? 'warning' : ''}>
            <td className="nowrap">{e.last ? new Date(e.last).toLocaleTimeString() : ''}</td>
            <td>{e.object}</td>
            <td>{e.type}</td>
            <td>{e.reason}</td>
            <td>
              {e.message}
              {e.count > 1 ? ` (×${e.count})` : ''}
            </td>
          </tr>
        ))}
      </SmallTable>
    </section>
  );
}
