import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './views/App.js';
import { connectStore } from './store/index.js';
import './styles.css';

connectStore();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
