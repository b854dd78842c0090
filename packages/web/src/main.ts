import { mount } from "svelte";
import App from "./App.svelte";
import "./app.css";
import { notifications } from "./stores/notifications.svelte";

const target = document.getElementById("app");
if (!target) throw new Error("#app is missing from index.html");
mount(App, { target });
notifications.start();
