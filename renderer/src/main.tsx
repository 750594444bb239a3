import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { connectionFromPage, DeskClient } from './api/client.js';
import { startLiveUpdates } from './live.js';
import { setDesk } from './state/desk.js';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('missing #root element');
const connection = connectionFromPage(window);
if (!connection) {
  root.innerHTML =
    '<main class="no-token"><h1>Sandbox Provisioner</h1><p>This page needs the address with its token, as printed by <code>npm run serve</code> (UI: http://127.0.0.1:…/?token=…).</p></main>';
} else {
  setDesk(new DeskClient(connection.baseUrl, connection.token));
  startLiveUpdates();
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
