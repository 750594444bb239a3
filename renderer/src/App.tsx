// The window: navigation, the connection banner (cluster unreachable / reconnecting), the
// current screen, notifications, and the light/dark theme switch.
import { useEffect, useState } from 'react';
import { Notices } from './components/common.js';
import { hrefOf, type Route, useRoute } from './router.js';
import { ClusterScreen } from './screens/ClusterScreen.js';
import { MigrationScreen } from './screens/MigrationScreen.js';
import { SandboxDetailScreen } from './screens/SandboxDetailScreen.js';
import { SandboxesScreen } from './screens/SandboxesScreen.js';
import { SettingsScreen } from './screens/SettingsScreen.js';
import { connectionProblem, useCluster } from './state/cluster.js';

const NAV: { route: Route; label: string }[] = [
  { route: { screen: 'sandboxes' }, label: 'Sandboxes' },
  { route: { screen: 'cluster' }, label: 'Cluster' },
  { route: { screen: 'migration' }, label: 'Migration' },
  { route: { screen: 'settings' }, label: 'Settings' },
];

type Theme = 'light' | 'dark';

function useTheme(): [Theme, () => void] {
  const [theme, setTheme] = useState<Theme>(() => {
    const saved = localStorage.getItem('theme');
    if (saved === 'light' || saved === 'dark') return saved;
    return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
  });
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  return [
    theme,
    () =>
      setTheme((t) => {
        const next = t === 'dark' ? 'light' : 'dark';
        localStorage.setItem('theme', next);
        return next;
      }),
  ];
}

function ConnectionBanner() {
  const problem = useCluster((s) => connectionProblem(s));
  if (!problem) return null;
  return (
    <div className="banner banner-error connection" role="alert" data-testid="connection-banner">
      {problem} <a href="#/cluster">Cluster…</a>
    </div>
  );
}

export function App() {
  const route = useRoute();
  const [theme, toggleTheme] = useTheme();
  const context = useCluster((s) => s.status?.current);
  const active = route.screen === 'sandbox' ? 'sandboxes' : route.screen;
  return (
    <div className="app">
      <nav className="sidebar" aria-label="Main">
        <div className="brand">Sandbox Provisioner</div>
        <ul>
          {NAV.map((n) => (
            <li key={n.label}>
              <a href={hrefOf(n.route)} aria-current={active === n.route.screen ? 'page' : undefined}>
                {n.label}
              </a>
            </li>
          ))}
        </ul>
        <div className="sidebar-foot">
          <div className="muted mono context" title="kubeconfig context in use">
            {context ?? 'no cluster'}
          </div>
          <button type="button" onClick={toggleTheme} aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}>
            {theme === 'dark' ? '☀ Light' : '☾ Dark'}
          </button>
        </div>
      </nav>
      <main className="content">
        <ConnectionBanner />
        {/* In the flow above the screen, never over it: no notice hides a button. */}
        <Notices />
        {route.screen === 'sandboxes' ? <SandboxesScreen /> : null}
        {route.screen === 'sandbox' ? <SandboxDetailScreen key={route.id} id={route.id} tab={route.tab} /> : null}
        {route.screen === 'cluster' ? <ClusterScreen /> : null}
        {route.screen === 'migration' ? <MigrationScreen /> : null}
        {route.screen === 'settings' ? <SettingsScreen /> : null}
      </main>
    </div>
  );
}
